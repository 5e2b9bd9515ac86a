"""Every message the sandbox sends, in en-us and zh-cn (the languages of the contract's X-Language)."""

from __future__ import annotations

from typing import Any

__all__ = ["MESSAGES", "message"]

_EN: dict[str, str] = {
    "internal": "The sandbox failed to process the request.",
    # request body
    "body.invalid": "The request body does not follow the documented format at {where}.",
    "body.not_utf8": "The request body is not valid UTF-8.",
    "body.not_json": "The request body is not valid JSON.",
    "body.too_deep": "The request body is nested too deeply.",
    "body.incomplete": "The request body was not received completely.",
    "body.not_object": "The request body must be a JSON object.",
    "body.jobs_missing": "The request body must contain the mandatory parameter jobs.",
    "body.jobs_not_array": "The parameter jobs must be an array.",
    "body.jobs_empty": "The parameter jobs must contain at least one task.",
    "body.duplicates": "Task {job_id} is listed more than once in one request.",
    "body.too_large": "The request body is larger than {limit} bytes.",
    "body.too_many_jobs": "A request can name at most {limit} tasks.",
    "body.extra_field": "{where} is not a documented parameter.",
    # items of the body
    "item.not_object": "{where} must be an object.",
    "item.empty": "{where}: the value cannot contain empty objects.",
    "item.field_missing": "{where} lacks the mandatory parameter {field}.",
    "item.field_string": "{where} must be a string.",
    "item.field_boolean": "{where} must be true or false.",
    "item.job_id_rule": "The value of {where} does not comply with the UUID rule.",
    "item.pause_mode": "{where} must be one of: {allowed}.",
    # headers and credentials
    "language.unknown": "The X-Language header is not supported; use one of: {allowed}.",
    "content_type": "The Content-Type of the request must be application/json.",
    "auth.missing": "The request carries no credentials; send X-Auth-Token or sign it with AK/SK.",
    "auth.token": "Incorrect IAM authentication information: the token is not valid.",
    "auth.aksk_malformed": "Incorrect IAM authentication information: the Authorization header is malformed.",
    "auth.aksk_access_key": "Incorrect IAM authentication information: the access key does not exist.",
    "auth.aksk_date": "Incorrect IAM authentication information: X-Sdk-Date is missing, malformed or more than {minutes} minutes away from the server time.",
    "auth.aksk_signature": "Incorrect IAM authentication information: the AK/SK signature does not match.",
    "auth.project": "The credentials do not grant access to project {project_id}.",
    # routing
    "route.not_found": "The API does not exist or has not been published in the environment.",
    "route.method": "The method {method} is not allowed on this path; allowed: {allowed}.",
    # per-item results
    "result.not_found": "The task does not exist.",
    "result.state": "The task cannot be paused in status {status}.",
    "result.type": "Tasks of type {type} cannot be paused; only migration and synchronization tasks can.",
    "result.retry_state": "The task cannot be resumed or retried in status {status}.",
    "result.invalid_item": "{where} is not a valid task entry.",
    "result.batch_failed": "Another task of the batch cannot be paused.",
    "result.foreign": "The task belongs to another project.",
    # control API
    "control.body": "The body must be a JSON object with {fields}.",
    "control.entry": "{where} must be a JSON object with {fields}.",
    "control.bulk_body": "The body must be a JSON object with {field}: an array of 1 to {limit} entries.",
    "control.project_id": "{field} must be a non-empty string.",
    "control.status": "{field} must be one of: {allowed}.",
    "control.type": "{field} must be one of: {allowed}.",
    "control.job_id": "The job id {job_id} does not comply with the UUID rule.",
    "control.extra_field": "{field} is not a field of a sandbox job.",
    "control.job_not_found": "The sandbox holds no job {job_id}.",
}

_ZH: dict[str, str] = {
    "internal": "沙箱处理请求失败。",
    "body.invalid": "请求体在 {where} 处不符合文档规定的格式。",
    "body.not_utf8": "请求体不是有效的 UTF-8 编码。",
    "body.not_json": "请求体不是有效的 JSON。",
    "body.too_deep": "请求体嵌套层级过深。",
    "body.incomplete": "未完整接收到请求体。",
    "body.not_object": "请求体必须是 JSON 对象。",
    "body.jobs_missing": "请求体缺少必选参数 jobs。",
    "body.jobs_not_array": "参数 jobs 必须是数组。",
    "body.jobs_empty": "参数 jobs 至少需要包含一个任务。",
    "body.duplicates": "任务 {job_id} 在同一请求中出现了多次。",
    "body.too_large": "请求体超过 {limit} 字节。",
    "body.too_many_jobs": "一个请求最多只能包含 {limit} 个任务。",
    "body.extra_field": "{where} 不是文档规定的参数。",
    "item.not_object": "{where} 必须是对象。",
    "item.empty": "{where}：不能包含空对象。",
    "item.field_missing": "{where} 缺少必选参数 {field}。",
    "item.field_string": "{where} 必须是字符串。",
    "item.field_boolean": "{where} 必须是 true 或 false。",
    "item.job_id_rule": "{where} 的取值不符合 UUID 规则。",
    "item.pause_mode": "{where} 的取值必须是以下之一：{allowed}。",
    "language.unknown": "不支持该 X-Language 取值，请使用以下之一：{allowed}。",
    "content_type": "请求的 Content-Type 必须为 application/json。",
    "auth.missing": "请求未携带认证信息，请提供 X-Auth-Token 或使用 AK/SK 签名。",
    "auth.token": "IAM 认证信息错误：令牌无效。",
    "auth.aksk_malformed": "IAM 认证信息错误：Authorization 头格式错误。",
    "auth.aksk_access_key": "IAM 认证信息错误：访问密钥不存在。",
    "auth.aksk_date": "IAM 认证信息错误：X-Sdk-Date 缺失、格式错误或与服务器时间相差超过 {minutes} 分钟。",
    "auth.aksk_signature": "IAM 认证信息错误：AK/SK 签名不匹配。",
    "auth.project": "认证信息无权访问项目 {project_id}。",
    "route.not_found": "API 不存在或未在该环境中发布。",
    "route.method": "该路径不允许使用 {method} 方法；允许的方法：{allowed}。",
    "result.not_found": "任务不存在。",
    "result.state": "任务处于 {status} 状态，无法暂停。",
    "result.type": "{type} 类型的任务无法暂停，只能暂停迁移和同步任务。",
    "result.retry_state": "任务处于 {status} 状态，无法恢复或重试。",
    "result.invalid_item": "{where} 不是有效的任务条目。",
    "result.batch_failed": "批次中的其他任务无法暂停。",
    "result.foreign": "任务属于其他项目。",
    "control.body": "请求体必须是包含 {fields} 的 JSON 对象。",
    "control.entry": "{where} 必须是包含 {fields} 的 JSON 对象。",
    "control.bulk_body": "请求体必须是包含 {field} 的 JSON 对象：{field} 是 1 到 {limit} 个条目的数组。",
    "control.project_id": "{field} 必须是非空字符串。",
    "control.status": "{field} 的取值必须是以下之一：{allowed}。",
    "control.type": "{field} 的取值必须是以下之一：{allowed}。",
    "control.job_id": "任务 ID {job_id} 不符合 UUID 规则。",
    "control.extra_field": "{field} 不是沙箱任务的字段。",
    "control.job_not_found": "沙箱中没有任务 {job_id}。",
}

# Keyed by the X-Language values of the contract (a test checks the keys against contract().languages).
MESSAGES: dict[str, dict[str, str]] = {"en-us": _EN, "zh-cn": _ZH}


def message(key: str, language: str, /, **params: Any) -> str:
    """The message `key` in `language` (en-us for a language without a table), parameters filled in."""
    table = MESSAGES.get(language, _EN)
    return table[key].format(**params)
