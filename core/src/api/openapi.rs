//! The OpenAPI 3.1 document, generated from the route table (`ROUTES`) and the schemas below.
//! A copy is checked in as `docs/openapi.json`; a test regenerates it and fails on any drift, and
//! the end-to-end suite checks served answers against it.

use serde_json::{json, Map, Value};

use super::idempotency::{is_mutating, REPLAYED_HEADER};
use super::table::{Access, ParamKind, ROUTES};
use crate::rules::idempotency::{HEADER, KEY_PATTERN, MAX_KEY_LEN};

fn s(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max, "pattern": "^[^\\u0000]*$"})
}

/// An optional input field: absent and `null` both mean "not given".
fn nullable(v: Value) -> Value {
    json!({"anyOf": [v, {"type": "null"}]})
}

/// Marks every non-required property of an input object as nullable.
fn input(required: &[&str], properties: Value) -> Value {
    let mut props = Map::new();
    if let Value::Object(m) = properties {
        for (k, v) in m {
            let v = if required.contains(&k.as_str()) { v } else { nullable(v) };
            props.insert(k, v);
        }
    }
    object(required, Value::Object(props))
}

/// Years the engine accepts in instants (1971–9998, so every offset stays inside its range).
const DATE_TIME_PATTERN: &str = "^(197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";
/// Years the engine accepts in dates (1970–9999).
const DATE_PATTERN: &str = "^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
/// A PMS id: no control characters, at least one non-space character.
const EXTERNAL_ID_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// A name: no NUL, at least one non-space character.
const NAME_PATTERN: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

fn name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 1000, "pattern": NAME_PATTERN})
}

fn schemas() -> Value {
    let status_enum = json!(["validation-pending", "validation-failed", "validation-succeeded", "release-pending", "release-succeeded", "release-failed"]);
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("ObjectId", json!({"type": "string", "pattern": "^[0-9a-fA-F]{24}$", "description": "24 hexadecimal characters; emitted lower case."}));
    put(
        "DateTime",
        json!({"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN, "description": "RFC 3339 with any offset (years 1971–9998 on input); emitted in UTC with Z."}),
    );
    put("Date", json!({"type": "string", "format": "date", "pattern": DATE_PATTERN}));
    put(
        "ExternalId",
        json!({"type": "string", "minLength": 1, "maxLength": 256, "pattern": EXTERNAL_ID_PATTERN, "description": "A PMS-side id: 1–256 characters, not blank, no control characters."}),
    );
    put("Error", object(&["error"], json!({"error": s("ErrorDetail")})));
    put(
        "ErrorDetail",
        object(
            &["code", "message"],
            json!({"code": {"type": "string", "enum": ["invalid_argument", "unauthenticated", "permission_denied", "not_found", "conflict", "too_large", "validation_failed", "locked", "internal", "unavailable", "corrupt", "method_not_allowed", "idempotency_mismatch", "request_timeout"]},
                "message": {"type": "string"}, "field": {"type": "string"}, "details": array(s("RuleFailure"))}),
        ),
    );
    put(
        "RuleFailure",
        object(&["rule", "title", "description"], json!({"rule": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"}})),
    );
    put(
        "ReleaseFailure",
        object(
            &["originalMessage", "title", "description"],
            json!({"originalMessage": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"}}),
        ),
    );
    put(
        "StatusInfo",
        object(
            &["status"],
            json!({"status": {"type": "string", "enum": status_enum}, "validationFailedErrors": array(s("RuleFailure")), "releaseFailedErrors": array(s("ReleaseFailure"))}),
        ),
    );
    put(
        "ClientProps",
        object(
            &["_id", "externalId", "name"],
            json!({"_id": s("ObjectId"), "externalId": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "callSign": {"type": "string"}}),
        ),
    );
    put(
        "InitiativeProps",
        object(
            &["tags", "initiative"],
            json!({"type": {"type": "string", "enum": ["pms", "temporary"]}, "tags": array(json!({"type": "string"})), "initiative": s("InitiativeSnapshot")}),
        ),
    );
    put(
        "InitiativeSnapshot",
        object(
            &["_id"],
            json!({"type": {"type": "string", "enum": ["pms", "temporary"]}, "_id": s("ObjectId"), "billingType": {"type": "string", "enum": ["billable", "non-billable"]},
                "callSign": {"type": "string"}, "unitIncrements": {"type": "integer"}, "externalId": {"type": "string"}, "name": {"type": "string"},
                "description": {"type": "string"}, "client": s("ClientProps")}),
        ),
    );
    put(
        "WorkCode",
        object(
            &["_id", "externalId", "codeTypeExternalId", "name", "assignedBy"],
            json!({"_id": s("ObjectId"), "externalId": {"type": "string"}, "codeTypeExternalId": {"type": "string"}, "name": {"type": "string"}, "assignedBy": {"type": "string", "enum": ["user", "system"]}}),
        ),
    );
    let source_kind = json!({"type": "string", "enum": ["email", "document", "call", "meeting", "research", "manual", "timer"]});
    put(
        "Source",
        object(
            &["_id", "kind", "startedAt"],
            json!({"_id": s("ObjectId"), "kind": source_kind, "startedAt": s("DateTime"), "endedAt": s("DateTime"), "title": {"type": "string"}}),
        ),
    );
    put(
        "FullEntry",
        object(
            &[
                "_id",
                "customerId",
                "userId",
                "statusInfo",
                "creationMethod",
                "createdAsTimer",
                "workDate",
                "isLocked",
                "summary",
                "unitIncrementCountFromSources",
                "unitIncrementCountAdjustments",
                "incrementDurationInSeconds",
                "workCodes",
                "createdAt",
                "updatedAt",
                "hasOverlap",
                "overlapTimeInSeconds",
                "isDeleted",
                "releaseCount",
                "timerDurationAdjustmentInSeconds",
                "sources",
            ],
            json!({
                "_id": s("ObjectId"), "customerId": s("ObjectId"), "userId": s("ObjectId"), "enrichmentCorrelationId": {"type": "string"},
                "statusInfo": s("StatusInfo"), "creationMethod": {"type": "string"}, "createdAsTimer": {"type": "boolean"}, "workDate": s("Date"),
                "isLocked": {"type": "boolean"}, "summary": {"type": "string"}, "unitIncrementCountFromSources": {"type": "integer"},
                "unitIncrementCountAdjustments": {"type": "integer"}, "incrementDurationInSeconds": {"type": "integer"}, "initiativeProps": s("InitiativeProps"),
                "workCodes": array(s("WorkCode")), "externalId": {"type": "string"}, "createdAt": s("DateTime"), "updatedAt": s("DateTime"),
                "hasOverlap": {"type": "boolean"}, "overlapTimeInSeconds": {"type": "integer"}, "isDeleted": {"type": "boolean"}, "notes": {"type": "string"},
                "releaseCount": {"type": "integer"}, "lastSyncedAt": s("DateTime"), "timerDurationAdjustmentInSeconds": {"type": "integer"},
                "sources": array(s("Source"))
            }),
        ),
    );
    put(
        "FlatEntry",
        object(
            &[
                "entryId",
                "customerId",
                "userId",
                "creationMethod",
                "workDate",
                "createdAt",
                "updatedAt",
                "summary",
                "unitIncrementCount",
                "incrementDurationInSeconds",
                "isDeleted",
                "releaseCount",
                "codes",
            ],
            json!({
                "entryId": s("ObjectId"), "externalId": {"type": "string"}, "customerId": s("ObjectId"), "userId": s("ObjectId"), "creationMethod": {"type": "string"},
                "releasedBy": s("ObjectId"), "createdBy": s("ObjectId"), "workDate": s("Date"), "createdAt": s("DateTime"), "updatedAt": s("DateTime"),
                "initiativeExternalId": {"type": "string"}, "clientExternalId": {"type": "string"}, "summary": {"type": "string"},
                "unitIncrementCount": {"type": "integer"}, "incrementDurationInSeconds": {"type": "integer"}, "lastReleasePendingAt": s("DateTime"),
                "lastReleaseFailedAt": s("DateTime"), "releaseSuccessAt": s("DateTime"), "isDeleted": {"type": "boolean"}, "notes": {"type": "string"},
                "releaseCount": {"type": "integer"}, "lastSyncedAt": s("DateTime"),
                "codes": array(s("FlatEntryCode"))
            }),
        ),
    );
    put(
        "FlatEntryCode",
        object(&["codeExternalId", "codeTypeExternalId"], json!({"codeExternalId": {"type": "string"}, "codeTypeExternalId": {"type": "string"}})),
    );
    put(
        "ExportItem",
        object(
            &["_id", "customerId", "userId", "workDate", "summary", "unitIncrementCount", "incrementDurationInSeconds", "releaseCount"],
            json!({
                "_id": s("ObjectId"), "customerId": s("ObjectId"), "userId": s("ObjectId"), "workDate": s("Date"), "summary": {"type": "string"},
                "unitIncrementCount": {"type": "integer"}, "incrementDurationInSeconds": {"type": "integer"}, "initiativeProps": s("InitiativeProps"),
                "externalId": {"type": "string"}, "notes": {"type": "string"}, "releaseCount": {"type": "integer"}, "lastSyncedAt": s("DateTime")
            }),
        ),
    );
    put("FullEntryList", array(s("FullEntry")));
    put("FlatEntryList", array(s("FlatEntry")));
    put("ExportItemList", array(s("ExportItem")));
    put("FlatEntryPage", object(&["entries"], json!({"entries": array(s("FlatEntry")), "nextCursor": s("ObjectId")})));
    put("FullEntryPage", object(&["entries"], json!({"entries": array(s("FullEntry")), "nextCursor": s("ObjectId")})));
    put(
        "FullEntryListOrPage",
        json!({
            "description": "The list of every entry when neither pageSize nor cursor is given, else one page.",
            "oneOf": [s("FullEntryList"), s("FullEntryPage")]
        }),
    );
    put("ExportPage", object(&["entries"], json!({"entries": array(s("ExportItem")), "nextCursor": s("ObjectId")})));
    put(
        "OverrideBody",
        input(
            &[],
            json!({"summary": text(10_000), "unitIncrementCountAdjustments": {"type": "integer", "minimum": -100_000, "maximum": 100_000},
                   "initiativeId": s("ObjectId"), "codeIds": {"type": "array", "maxItems": 50, "items": s("ObjectId")}, "workDate": s("Date")}),
        ),
    );
    put(
        "EntryPatch",
        input(
            &[],
            json!({"summary": text(10_000), "notes": text(10_000), "workDate": s("Date"), "initiativeId": s("ObjectId"),
                   "codeIds": {"type": "array", "maxItems": 50, "items": s("ObjectId")},
                   "unitIncrementCountAdjustments": {"type": "integer", "minimum": -100_000, "maximum": 100_000},
                   "timerDurationAdjustmentInSeconds": {"type": "integer", "minimum": -604_800, "maximum": 604_800}}),
        ),
    );
    put(
        "SourceInput",
        input(&["kind", "startedAt", "endedAt"], json!({"kind": source_kind, "startedAt": s("DateTime"), "endedAt": s("DateTime"), "title": text(1_000)})),
    );
    put(
        "NewEntry",
        input(
            &[],
            json!({"_id": s("ObjectId"), "initiativeId": s("ObjectId"), "summary": text(10_000), "notes": text(10_000), "workDate": s("Date"),
                   "codeIds": {"type": "array", "maxItems": 50, "items": s("ObjectId")}, "durationInSeconds": {"type": "integer", "minimum": 0, "maximum": 604_800},
                   "sources": {"type": "array", "maxItems": 500, "items": s("SourceInput")}, "creationMethod": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NAME_PATTERN},
                   "enrichmentCorrelationId": s("ExternalId")}),
        ),
    );
    sync_schemas(&mut put, &status_enum);
    put("TimerStart", input(&[], json!({"_id": s("ObjectId"), "initiativeId": s("ObjectId"), "summary": text(10_000)})));
    put("ReleaseDayBody", input(&["workDate"], json!({"workDate": s("Date"), "mode": {"type": "string", "enum": ["all-or-nothing", "ready-subset"]}})));
    put("ReleaseDayResult", object(&["released", "notReady"], json!({"released": array(s("ObjectId")), "notReady": array(s("NotReadyEntry"))})));
    put("NotReadyEntry", object(&["entryId", "errors"], json!({"entryId": s("ObjectId"), "errors": array(s("RuleFailure"))})));
    put(
        "ReleaseSucceededBody",
        input(&[], json!({"externalId": s("ExternalId"), "reReleaseFailedMessages": {"type": "array", "maxItems": 1000, "items": text(10_000)}})),
    );
    put(
        "ReleaseFailedBody",
        input(
            &["errors"],
            json!({"errors": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string", "minLength": 1, "maxLength": 10_000, "pattern": NAME_PATTERN}}}),
        ),
    );
    // Items are checked one by one and answered in the 207 results, so their values are free-form
    // here: a bad id or PMS id is that item's `invalid_argument`, never the whole batch's 400.
    put(
        "BatchReleaseSucceededItem",
        input(
            &["entryId"],
            json!({"entryId": {"type": "string"}, "userId": {"type": "string"}, "externalId": {"type": "string"}, "reReleaseFailedMessages": array(json!({"type": "string"}))}),
        ),
    );
    let items = |name: &str| json!({"type": "array", "maxItems": 1000, "items": s(name)});
    put("BatchReleaseSucceededList", items("BatchReleaseSucceededItem"));
    put("BatchReleaseSucceededEntries", object(&["entries"], json!({"entries": s("BatchReleaseSucceededList")})));
    put(
        "BatchReleaseSucceededBody",
        json!({"description": "{\"entries\": [...]} or the bare list.", "oneOf": [s("BatchReleaseSucceededEntries"), s("BatchReleaseSucceededList")]}),
    );
    put("BatchResult", object(&["entryId", "status"], json!({"entryId": {"type": "string"}, "status": {"type": "string"}, "error": {"type": "string"}})));
    put("BatchResults", object(&["results"], json!({"results": array(s("BatchResult"))})));
    // Bulk create: like the release batch, items are free-form objects here and checked one by
    // one, so a bad item is its own 400 in the 207 results, never the whole batch's.
    put(
        "NewEntryList",
        json!({"type": "array", "maxItems": 1000, "items": {"type": "object", "description": "A NewEntry; an item that is not one is answered its own 400."}}),
    );
    put("NewEntryBatchEntries", object(&["entries"], json!({"entries": s("NewEntryList")})));
    put(
        "NewEntryBatch",
        json!({"description": "{\"entries\": [...]} or the bare list, of at most 1,000 NewEntry objects.", "oneOf": [s("NewEntryBatchEntries"), s("NewEntryList")]}),
    );
    put(
        "CreateEntryResult",
        object(
            &["status"],
            json!({"status": {"type": "integer", "description": "201 created, 200 a repeat of a stored _id with the same body, else the status the item's error would have alone."},
                   "entry": s("FullEntry"), "error": s("ErrorDetail")}),
        ),
    );
    put("CreateEntriesResults", object(&["results"], json!({"results": array(s("CreateEntryResult"))})));
    put(
        "ClientInput",
        input(&["externalId", "name"], json!({"externalId": s("ExternalId"), "name": name(), "callSign": text(1_000), "description": text(1_000)})),
    );
    put(
        "Client",
        object(
            &["_id", "externalId", "name"],
            json!({"_id": s("ObjectId"), "externalId": {"type": "string"}, "name": {"type": "string"}, "callSign": {"type": "string"}, "description": {"type": "string"}}),
        ),
    );
    put("ClientList", array(s("Client")));
    put("CodeTypeInput", input(&["externalId", "name", "semanticType"], json!({"externalId": s("ExternalId"), "name": name(), "semanticType": name()})));
    put(
        "CodeType",
        object(
            &["_id", "externalId", "name", "semanticType"],
            json!({"_id": s("ObjectId"), "externalId": {"type": "string"}, "name": {"type": "string"}, "semanticType": {"type": "string"}}),
        ),
    );
    put(
        "CodeInput",
        input(
            &["externalId", "name", "codeTypeExternalId"],
            json!({"externalId": s("ExternalId"), "name": name(), "description": text(1_000), "codeTypeExternalId": s("ExternalId"), "isDisabled": {"type": "boolean"}}),
        ),
    );
    put(
        "Code",
        object(
            &["_id", "externalId", "codeTypeExternalId", "name", "isDisabled"],
            json!({"_id": s("ObjectId"), "externalId": {"type": "string"}, "codeTypeExternalId": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "isDisabled": {"type": "boolean"}}),
        ),
    );
    put("CodeList", array(s("Code")));
    put(
        "InitiativeInput",
        input(
            &["externalId", "name", "billingType", "unitIncrements"],
            json!({"externalId": s("ExternalId"), "name": name(), "description": text(1_000), "callSign": text(1_000),
                   "clientExternalId": s("ExternalId"), "billingType": {"type": "string", "enum": ["billable", "non-billable"]},
                   "unitIncrements": {"type": "integer", "minimum": 1, "maximum": 86_400}, "status": {"type": "string", "enum": ["active", "inactive"]},
                   "type": {"type": "string", "enum": ["pms", "temporary"]}}),
        ),
    );
    put(
        "Initiative",
        object(
            &["_id", "type", "externalId", "name", "billingType", "unitIncrements", "status", "allowedUserIds", "deniedUserIds"],
            json!({"_id": s("ObjectId"), "type": {"type": "string", "enum": ["pms", "temporary"]}, "externalId": {"type": "string"}, "name": {"type": "string"},
                   "description": {"type": "string"}, "callSign": {"type": "string"}, "clientExternalId": {"type": "string"},
                   "billingType": {"type": "string", "enum": ["billable", "non-billable"]}, "unitIncrements": {"type": "integer"},
                   "status": {"type": "string", "enum": ["active", "inactive"]}, "allowedCodeIds": array(s("ObjectId")),
                   "allowedUserIds": array(s("ObjectId")), "deniedUserIds": array(s("ObjectId"))}),
        ),
    );
    put("InitiativeList", array(s("Initiative")));
    put("InitiativeCodesBody", input(&["codeExternalIds"], json!({"codeExternalIds": array(s("ExternalId"))})));
    put("InitiativeAccessBody", input(&["type", "userIds"], json!({"type": {"type": "string", "enum": ["allow", "deny"]}, "userIds": array(s("ObjectId"))})));
    put(
        "RulesInput",
        input(
            &[],
            json!({"requiredCodeTypeExternalIds": array(s("ExternalId")), "isSummaryRequired": {"type": "boolean"}, "cannotReleaseFutureWork": {"type": "boolean"},
                   "cannotReleaseNegativeIncrement": {"type": "boolean"}, "cannotReleaseZeroIncrement": {"type": "boolean"}}),
        ),
    );
    put(
        "Rules",
        object(
            &["requiredCodeTypeExternalIds", "isSummaryRequired", "cannotReleaseFutureWork", "cannotReleaseNegativeIncrement", "cannotReleaseZeroIncrement"],
            json!({"requiredCodeTypeExternalIds": array(json!({"type": "string"})), "isSummaryRequired": {"type": "boolean"}, "cannotReleaseFutureWork": {"type": "boolean"},
                   "cannotReleaseNegativeIncrement": {"type": "boolean"}, "cannotReleaseZeroIncrement": {"type": "boolean"}}),
        ),
    );
    put(
        "CustomerSettingsPatch",
        input(
            &[],
            json!({"defaultUnitIncrements": {"type": "integer", "minimum": 1, "maximum": 86_400}, "rounding": {"type": "string", "enum": ["up", "nearest", "down"]},
                   "minimumOneUnit": {"type": "boolean"}, "timezone": s("TimeZone"), "allowPostReleaseEdit": {"type": "boolean"},
                   "eventRetentionDays": {"type": "integer", "minimum": 0, "maximum": crate::rules::text::MAX_EVENT_RETENTION_DAYS,
                       "description": "Days change events are kept (0: forever, the default)."}}),
        ),
    );
    put(
        "CustomerSettings",
        object(
            &["defaultUnitIncrements", "rounding", "minimumOneUnit", "timezone", "allowPostReleaseEdit"],
            json!({"defaultUnitIncrements": {"type": "integer"}, "rounding": {"type": "string", "enum": ["up", "nearest", "down"]}, "minimumOneUnit": {"type": "boolean"},
                   "timezone": {"type": "string"}, "allowPostReleaseEdit": {"type": "boolean"}, "eventRetentionDays": {"type": "integer"}}),
        ),
    );
    put("UserSettings", input(&[], json!({"timezone": s("TimeZone")})));
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    put(
        "TimeZone",
        json!({"type": "string", "maxLength": 64, "pattern": zone_pattern(&zones), "description": "An IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC) of the tz database the server is built with. The pattern lists exactly the names the server accepts: a plain string to generators (an enum of these names cannot be named: GMT+0, GMT-0 and GMT0 are one identifier), checked by the server."}),
    );
    put(
        "Total",
        object(
            &["userId", "workDate", "entries", "unitIncrementCount", "incrementDurationInSeconds"],
            json!({"userId": s("ObjectId"), "workDate": s("Date"), "initiativeId": s("ObjectId"), "entries": {"type": "integer"}, "unitIncrementCount": {"type": "integer"}, "incrementDurationInSeconds": {"type": "integer"}}),
        ),
    );
    put("TotalList", array(s("Total")));
    put("Health", object(&["status"], json!({"status": {"type": "string"}})));
    put("OpenApiDocument", json!({"type": "object"}));
    webhook_schemas(&mut put);
    // ----- events (issue 16)
    let kinds: Vec<&str> = crate::model::EventKind::ALL.iter().map(|k| k.as_str()).collect();
    let roles: Vec<&str> = crate::model::ActorRole::ALL.iter().map(|r| r.as_str()).collect();
    put(
        "FieldChange",
        object(
            &["field", "before", "after"],
            json!({"field": {"type": "string"}, "before": {"description": "The JSON value before (null: absent)."}, "after": {"description": "The JSON value after (null: absent)."}}),
        ),
    );
    put(
        "ChangeEvent",
        object(
            &["eventId", "seq", "customerId", "userId", "entryId", "kind", "operation", "role", "at", "changes"],
            json!({"eventId": s("ObjectId"), "seq": {"type": "integer"}, "customerId": s("ObjectId"), "userId": s("ObjectId"), "entryId": s("ObjectId"),
                   "kind": {"type": "string", "enum": kinds}, "operation": {"type": "string"}, "actorId": s("ObjectId"),
                   "role": {"type": "string", "enum": roles}, "at": s("DateTime"), "deviceAt": s("DateTime"), "requestId": {"type": "string"},
                   "changes": array(s("FieldChange"))}),
        ),
    );
    put("EventPage", object(&["events"], json!({"events": array(s("ChangeEvent")), "nextCursor": s("ObjectId")})));
    Value::Object(m)
}

/// A regular expression matching exactly the given time zone names (`+` escaped; names hold
/// only letters, digits, `/`, `_`, `-` and `+`).
fn zone_pattern(zones: &[&str]) -> String {
    let alternatives: Vec<String> = zones.iter().map(|z| z.replace('+', "\\+")).collect();
    format!("^({})$", alternatives.join("|"))
}

fn param_schema(kind: ParamKind) -> Value {
    match kind {
        ParamKind::DateTime => s("DateTime"),
        ParamKind::Date => s("Date"),
        ParamKind::ObjectId => s("ObjectId"),
        ParamKind::PageSize => json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 100}),
        ParamKind::Format => json!({"type": "string", "enum": ["json"], "default": "json"}),
        ParamKind::Sequence => json!({"type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0}),
        ParamKind::SyncLimit => json!({"type": "integer", "minimum": 1, "maximum": 500, "default": 200}),
        ParamKind::ProtocolVersion => {
            json!({"type": "integer", "minimum": crate::sync::OLDEST_PROTOCOL_VERSION, "maximum": crate::sync::PROTOCOL_VERSION})
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": s("Error")}}})
}

/// Error answers every authenticated operation may give.
const ERROR_STATUSES: [u16; 11] = [400, 401, 403, 404, 405, 409, 413, 422, 423, 500, 503];

fn error_responses() -> Value {
    let mut m = Map::new();
    for code in ERROR_STATUSES {
        let text = match code {
            400 => "Malformed id, date, number, query parameter or body; `field` names it.",
            401 => "Missing, malformed, badly signed, expired or not yet valid token.",
            403 => "The token's customer, role or user does not allow this.",
            404 => "Not found in the caller's scope.",
            405 => "Method not allowed on this path.",
            409 => "Not allowed from the entry's status.",
            413 => "Body over 1 MiB, or a batch over 1,000 items.",
            422 => "The entry fails its validation rules (`validation_failed`; `details` lists them), or the Idempotency-Key was used with another request in the last 24 hours (`idempotency_mismatch`).",
            423 => "The entry is locked (released).",
            500 => "A bug; never for bad input.",
            _ => "`unavailable`: the engine is closed (shutting down), or the store is busy (then with `Retry-After`). `corrupt`: the database file is damaged; writes are refused until it is restored.",
        };
        m.insert(format!("E{code}"), error_response(text));
    }
    Value::Object(m)
}

/// The `Idempotency-Key` header of every mutating operation (decisions 53–54): the schema
/// allows exactly the keys the router accepts.
fn idempotency_key_parameter() -> Value {
    json!({"name": HEADER, "in": "header", "required": false,
        "description": "Makes a retry safe: the first answer (success or 4xx refusal, not 401 or 5xx) is kept for 24 hours under this key, per customer and user; the same request again with the key answers the kept status and body without doing the work again (header Idempotent-Replayed: true); the key with another method, path or body answers 422 idempotency_mismatch. 1 to 255 visible ASCII characters, e.g. a UUID.",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LEN, "pattern": KEY_PATTERN}})
}

/// A success answer of a mutating operation: a replay carries `Idempotent-Replayed: true`.
fn with_replay_header(mut answer: Value) -> Value {
    if let Some(obj) = answer.as_object_mut() {
        let headers = obj.entry("headers").or_insert_with(|| json!({}));
        if let Some(h) = headers.as_object_mut() {
            h.insert(
                REPLAYED_HEADER.into(),
                json!({"description": "true when this is the answer kept under the request's Idempotency-Key, given again.", "schema": {"type": "string", "enum": ["true"]}}),
            );
        }
    }
    answer
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut parameters = Vec::new();
        for seg in r.path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                let schema = if name == "initiativeExternalId" { s("ExternalId") } else { s("ObjectId") };
                parameters.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
            }
        }
        for q in r.query {
            parameters.push(json!({"name": q.name, "in": "query", "required": q.required, "description": q.description, "schema": param_schema(q.kind)}));
        }
        let keyed = r.access != Access::Open && is_mutating(r.method);
        if keyed {
            parameters.push(json!({"$ref": "#/components/parameters/IdempotencyKey"}));
        }
        let mut responses = Map::new();
        for (status, schema) in r.responses {
            let body = match (r.id, schema) {
                (_, Some("csv")) => {
                    json!({"description": "The page as CSV: a header line, then one line per entry.", "content": {"text/csv": {"schema": {"type": "string"}}},
                    "headers": {"X-Next-Cursor": {"description": "The cursor of the next page, when more may follow.", "schema": s("ObjectId")}}})
                }
                ("listEntriesV1", Some(name)) => json!({"description": "The entries.", "content": {"application/json": {"schema": s(name)}},
                    "headers": {"Deprecation": {"description": "Always true: use the v2 list.", "schema": {"type": "string", "enum": ["true"]}}}}),
                (_, Some(name)) => json!({"description": "Success.", "content": {"application/json": {"schema": s(name)}}}),
                (_, None) => json!({"description": "Success, no content."}),
            };
            let body = if keyed { with_replay_header(body) } else { body };
            responses.insert(status.to_string(), body);
        }
        if r.id == "getHealth" {
            // The health check of a closed engine (shutting down) or a damaged store fails.
            responses.insert("503".into(), json!({"$ref": "#/components/responses/E503"}));
        }
        if r.access != Access::Open {
            for code in ERROR_STATUSES {
                responses.insert(code.to_string(), json!({"$ref": format!("#/components/responses/E{code}")}));
            }
        }
        let mut op = json!({
            "operationId": r.id,
            "summary": r.summary,
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(obj) = op.as_object_mut() {
            if r.access != Access::Open {
                obj.insert("security".into(), json!([{"bearer": []}]));
            }
            match r.seed {
                Some(seed) => {
                    obj.insert("x-tenths-seed-route".into(), json!(seed));
                }
                None => {
                    obj.insert("x-tenths-extension".into(), json!(true));
                }
            }
            if r.deprecated {
                obj.insert("deprecated".into(), json!(true));
            }
            if let Some((schema, required)) = r.body {
                obj.insert("requestBody".into(), json!({"required": required, "content": {"application/json": {"schema": s(schema)}}}));
            }
            let access = match r.access {
                Access::Open => "anyone",
                Access::UserScope => "the user named in the path, a delegate of theirs, or an admin",
                Access::Connector => "a connector or an admin",
                Access::Admin => "an admin",
                Access::ConnectorOrSelf => "a connector, an admin, or the user named in the path (or a delegate)",
            };
            obj.insert("description".into(), json!(format!("{} Who may call: {access}.", r.summary)));
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(r.method.to_ascii_lowercase(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tenths",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Billable time entries: the seed's Entries API served by the tenths engine, plus tenths extensions (x-tenths-extension)."
        },
        "paths": paths,
        "webhooks": webhooks_section(),
        "components": {
            "schemas": schemas(),
            "responses": error_responses(),
            "parameters": {"IdempotencyKey": idempotency_key_parameter()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        }
    })
}

/// Schemas of the sync routes (docs/sync.md): the entry copy sync moves, push and pull.
fn sync_schemas(put: &mut impl FnMut(&str, Value), status_enum: &Value) {
    let opt = |v: Value| json!({"oneOf": [v, {"type": "null"}]});
    let count = json!({"type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64});
    let kinds = json!({"type": "string", "enum": ["email", "document", "call", "meeting", "research", "manual", "timer"]});
    put(
        "SyncedSource",
        input(
            &["_id", "kind", "startedAt"],
            json!({"_id": s("ObjectId"), "kind": kinds, "startedAt": s("DateTime"), "endedAt": opt(s("DateTime")), "title": opt(text(1_000))}),
        ),
    );
    put("SyncedCode", input(&["_id", "assignedBy"], json!({"_id": s("ObjectId"), "assignedBy": {"type": "string", "enum": ["user", "system"]}})));
    let failure = s("RuleFailure");
    let release_failure = s("ReleaseFailure");
    put(
        "SyncedEntry",
        input(
            &[
                "_id",
                "userId",
                "summary",
                "workDate",
                "creationMethod",
                "createdAsTimer",
                "timerDurationAdjustmentInSeconds",
                "rawSeconds",
                "unitIncrements",
                "unitIncrementCountFromSources",
                "unitIncrementCountAdjustments",
                "status",
                "isLocked",
                "isDeleted",
                "releaseCount",
                "createdAt",
                "updatedAt",
                "version",
            ],
            json!({
                "_id": s("ObjectId"), "userId": s("ObjectId"), "createdBy": opt(s("ObjectId")), "releasedBy": opt(s("ObjectId")),
                "externalId": opt(s("ExternalId")), "enrichmentCorrelationId": opt(s("ExternalId")), "summary": text(10_000), "notes": opt(text(10_000)),
                "workDate": s("Date"), "initiativeId": opt(s("ObjectId")),
                "creationMethod": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NAME_PATTERN}, "createdAsTimer": {"type": "boolean"},
                "timerDurationAdjustmentInSeconds": {"type": "integer", "minimum": -604_800, "maximum": 604_800},
                "enteredDurationInSeconds": opt(json!({"type": "integer", "minimum": 0, "maximum": 604_800})),
                "rawSeconds": count, "unitIncrements": {"type": "integer", "minimum": 1, "maximum": 86_400}, "unitIncrementCountFromSources": count,
                "unitIncrementCountAdjustments": {"type": "integer", "minimum": -100_000, "maximum": 100_000},
                "status": {"type": "string", "enum": status_enum}, "validationFailedErrors": array(failure), "releaseFailedErrors": array(release_failure),
                "reReleaseFailedMessages": array(text(10_000)), "isLocked": {"type": "boolean"}, "isDeleted": {"type": "boolean"}, "releaseCount": count,
                "lastReleasePendingAt": opt(s("DateTime")), "lastReleaseFailedAt": opt(s("DateTime")), "releaseSuccessAt": opt(s("DateTime")),
                "lastSyncedAt": opt(s("DateTime")), "createdAt": s("DateTime"), "updatedAt": s("DateTime"), "version": {"type": "integer", "minimum": 1},
                "codes": {"type": "array", "maxItems": 50, "items": s("SyncedCode")}, "sources": {"type": "array", "maxItems": 500, "items": s("SyncedSource")}
            }),
        ),
    );
    let fields = json!({"type": "string", "enum": ["summary", "notes", "workDate", "initiativeId", "codeIds", "unitIncrementCountAdjustments",
        "timerDurationAdjustmentInSeconds", "enteredDurationInSeconds", "sources", "isDeleted", "released"]});
    put(
        "PushOp",
        input(
            &["opId", "changed", "entry"],
            json!({"opId": s("ObjectId"), "baseVersion": opt(json!({"type": "integer", "minimum": 1})), "changed": array(fields), "entry": s("SyncedEntry")}),
        ),
    );
    put("PushBatch", input(&["batchId", "ops"], json!({"batchId": s("ObjectId"), "ops": {"type": "array", "maxItems": 500, "items": s("PushOp")}})));
    put(
        "OpResult",
        object(
            &["opId", "entryId", "outcome", "failures"],
            json!({"opId": s("ObjectId"), "entryId": s("ObjectId"), "outcome": {"type": "string", "enum": ["applied", "conflict", "rejected"]},
                   "code": opt(json!({"type": "string"})), "reason": opt(json!({"type": "string"})), "failures": array(s("RuleFailure")), "record": opt(s("SyncedEntry"))}),
        ),
    );
    put("PushResponse", object(&["batchId", "results"], json!({"batchId": s("ObjectId"), "results": array(s("OpResult"))})));
    put(
        "PullCursor",
        object(&["entrySeq", "referenceSeq"], json!({"entrySeq": {"type": "integer", "minimum": 0}, "referenceSeq": {"type": "integer", "minimum": 0}})),
    );
    let cursor = s("PullCursor");
    put(
        "ReferenceSnapshot",
        object(
            &["protocolVersion", "seq", "settings", "clients", "codeTypes", "codes", "initiatives", "rules"],
            json!({"protocolVersion": {"type": "integer", "minimum": 1}, "seq": {"type": "integer", "minimum": 0}, "settings": s("CustomerSettings"),
                   "userTimezone": opt(json!({"type": "string"})), "clients": array(s("Client")), "codeTypes": array(s("CodeType")), "codes": array(s("Code")),
                   "initiatives": array(s("Initiative")),
                   "rules": array(s("RulesSnapshot"))}),
        ),
    );
    put("RulesSnapshot", object(&["rules"], json!({"initiativeId": opt(s("ObjectId")), "rules": s("Rules")})));
    put(
        "PullPage",
        object(
            &["after", "next", "hasMore", "entries"],
            json!({"after": cursor, "next": cursor, "hasMore": {"type": "boolean"}, "entries": array(s("SyncedEntry")),
                   "reference": opt(s("ReferenceSnapshot"))}),
        ),
    );
}

/// Schemas of the webhook routes and of what a delivery posts (decisions 96-100).
fn webhook_schemas(put: &mut impl FnMut(&str, Value)) {
    use crate::model::events::EventKind;
    use crate::rules::webhooks::{MAX_URL_LEN, URL_PATTERN};
    let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    put("EventKind", json!({"type": "string", "enum": kinds}));
    put(
        "NewWebhook",
        object(
            &["url", "events"],
            json!({
                "url": {"type": "string", "maxLength": MAX_URL_LEN, "pattern": URL_PATTERN,
                        "description": "The target: http or https, no credentials; a host whose addresses are loopback, private, link-local (the metadata address 169.254.169.254 included), multicast, broadcast or unspecified is refused unless the operator allows it (tenths serve --webhook-allow-host)."},
                "events": {"type": "array", "items": s("EventKind"), "minItems": 1, "maxItems": kinds.len(), "description": "The event kinds delivered."}
            }),
        ),
    );
    let webhook = |with_secret: bool| {
        let mut required = vec!["_id", "url", "events", "status", "createdAt"];
        let mut props = json!({
            "_id": s("ObjectId"), "url": {"type": "string"}, "events": array(s("EventKind")),
            "status": {"type": "string", "enum": ["active", "disabled"]},
            "disabledAt": s("DateTime"), "disabledReason": {"type": "string"}, "createdAt": s("DateTime")
        });
        if with_secret {
            required.push("secret");
            if let Some(p) = props.as_object_mut() {
                p.insert("secret".into(), json!({"type": "string", "description": "The signing secret: shown only in this answer."}));
            }
        }
        object(&required, props)
    };
    put("Webhook", webhook(false));
    put("WebhookCreated", webhook(true));
    put("WebhookList", array(s("Webhook")));
    put(
        "WebhookDelivery",
        object(
            &["_id", "subscriptionId", "eventId", "kind", "seq", "state", "attempts", "createdAt", "nextAttemptAt"],
            json!({
                "_id": s("ObjectId"), "subscriptionId": s("ObjectId"), "eventId": s("ObjectId"), "kind": s("EventKind"), "seq": {"type": "integer"},
                "state": {"type": "string", "enum": ["pending", "delivered", "dead", "held"]}, "attempts": {"type": "integer"},
                "createdAt": s("DateTime"), "nextAttemptAt": s("DateTime"), "lastAttemptAt": s("DateTime"), "lastStatus": {"type": "integer"},
                "lastError": {"type": "string"}, "deliveredAt": s("DateTime")
            }),
        ),
    );
    put("WebhookDeliveryList", array(s("WebhookDelivery")));
    put(
        "WebhookPayload",
        object(&["id", "kind", "at", "entry"], json!({"id": s("ObjectId"), "kind": s("EventKind"), "at": s("DateTime"), "entry": s("FlatEntry")})),
    );
}

/// The OpenAPI 3.1 `webhooks` section: what a delivery posts to a subscription's target.
fn webhooks_section() -> Value {
    use crate::rules::webhooks::{DELIVERY_ID_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER};
    json!({"entryEvent": {"post": {
        "operationId": "receiveEntryEvent",
        "summary": "An entry event, posted to the target of each subscription that wants its kind.",
        "description": "Delivered at least once, in order per subscription (one in flight at a time), retried with exponential backoff and jitter until a 2xx answer or the last attempt. Verify the signature: compute the hex HMAC-SHA256 of `<t>.<raw body>` under the subscription's secret and compare it, in constant time, with a `v1` value of the header; refuse a `t` far from now. Deduplicate on the event id.",
        "parameters": [
            {"name": SIGNATURE_HEADER, "in": "header", "required": true, "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\" under the secret>", "schema": {"type": "string"}},
            {"name": EVENT_ID_HEADER, "in": "header", "required": true, "description": "The event id (the body's id): the same on every attempt.", "schema": s("ObjectId")},
            {"name": DELIVERY_ID_HEADER, "in": "header", "required": true, "description": "The delivery id.", "schema": s("ObjectId")}
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": s("WebhookPayload")}}},
        "responses": {"2XX": {"description": "Delivered."}, "default": {"description": "Not delivered: retried later."}}
    }}})
}
