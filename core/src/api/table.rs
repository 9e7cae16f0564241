//! The route table: every route of the surface with its method, path, access, query, body and
//! answers. The dispatcher ([`super::routes`]) matches requests against it and the OpenAPI
//! document ([`super::openapi`]) is generated from it, so a route cannot be served without being
//! documented, nor documented without being served.

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Open,
    /// The user named in the path, one of their delegates, or an admin.
    UserScope,
    /// A connector or an admin.
    Connector,
    /// An admin.
    Admin,
    /// A connector, an admin, or the user named in the path (or their delegate).
    ConnectorOrSelf,
}

/// Kinds of query parameter values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    DateTime,
    Date,
    ObjectId,
    PageSize,
    Format,
    /// A sync sequence number (an integer ≥ 0).
    Sequence,
    /// Entries per sync pull page, 1..500.
    SyncLimit,
    /// The sync protocol version a device speaks (an integer ≥ 1).
    ProtocolVersion,
}

/// A query parameter of a route.
#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    pub name: &'static str,
    pub required: bool,
    pub kind: ParamKind,
    pub description: &'static str,
}

/// One route: what the dispatcher matches and what the OpenAPI document says.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// `operationId`.
    pub id: &'static str,
    pub method: &'static str,
    /// Template with `{customerId}`, `{userId}`, `{entryId}`, `{initiativeExternalId}`.
    pub path: &'static str,
    pub access: Access,
    /// The seed's route number (`S1`…`S10`), or `None` for a tenths extension.
    pub seed: Option<&'static str>,
    pub summary: &'static str,
    pub query: &'static [QueryParam],
    /// Component schema of the request body, and whether it is required.
    pub body: Option<(&'static str, bool)>,
    /// Success answers: status and component schema (`None` = empty body; `"csv"` = text/csv too).
    pub responses: &'static [(u16, Option<&'static str>)],
    pub deprecated: bool,
}

const WINDOW_UPDATED: [QueryParam; 2] = [
    QueryParam { name: "updatedAfter", required: true, kind: ParamKind::DateTime, description: "Exclusive lower bound of updatedAt." },
    QueryParam { name: "updatedOnOrBefore", required: true, kind: ParamKind::DateTime, description: "Inclusive upper bound of updatedAt." },
];
const WINDOW_UPDATED_PAGED: [QueryParam; 4] = [
    WINDOW_UPDATED[0],
    WINDOW_UPDATED[1],
    QueryParam { name: "pageSize", required: false, kind: ParamKind::PageSize, description: "Items per page, 1..100 (100)." },
    QueryParam {
        name: "cursor",
        required: false,
        kind: ParamKind::ObjectId,
        description: "The _id after which to continue (nextCursor of the previous page).",
    },
];
const WINDOW_RELEASED: [QueryParam; 2] = [
    QueryParam { name: "releasedAfter", required: true, kind: ParamKind::DateTime, description: "Exclusive lower bound of lastReleasePendingAt." },
    QueryParam { name: "releasedOnOrBefore", required: true, kind: ParamKind::DateTime, description: "Inclusive upper bound of lastReleasePendingAt." },
];
const WINDOW_RELEASED_PAGED: [QueryParam; 5] = [
    WINDOW_RELEASED[0],
    WINDOW_RELEASED[1],
    WINDOW_UPDATED_PAGED[2],
    WINDOW_UPDATED_PAGED[3],
    QueryParam {
        name: "format",
        required: false,
        kind: ParamKind::Format,
        description:
            "json (the default). For CSV use exportEntriesV2Csv; format=csv is still answered here in CSV for clients written before it (decision 61).",
    },
];
const WINDOW_RELEASED_CSV: [QueryParam; 4] = [WINDOW_RELEASED[0], WINDOW_RELEASED[1], WINDOW_UPDATED_PAGED[2], WINDOW_UPDATED_PAGED[3]];
const WORK_DATES: [QueryParam; 2] = [
    QueryParam { name: "workDateFrom", required: true, kind: ParamKind::Date, description: "First work date (inclusive)." },
    QueryParam { name: "workDateTo", required: true, kind: ParamKind::Date, description: "Last work date (inclusive)." },
];
const USER_ENTRIES: [QueryParam; 4] = [
    WORK_DATES[0],
    WORK_DATES[1],
    QueryParam {
        name: "pageSize",
        required: false,
        kind: ParamKind::PageSize,
        description:
            "Entries per page, 1..100 (100). With pageSize or cursor the answer is a page ({entries, nextCursor}); with neither, the list of every entry.",
    },
    QueryParam {
        name: "cursor",
        required: false,
        kind: ParamKind::ObjectId,
        description: "The _id of the last entry of the previous page (its nextCursor): the page continues after it, by workDate then _id.",
    },
];
const TOTALS: [QueryParam; 3] =
    [WORK_DATES[0], WORK_DATES[1], QueryParam { name: "userId", required: false, kind: ParamKind::ObjectId, description: "Only this user." }];

const SYNC_CURSOR: [QueryParam; 4] = [
    QueryParam {
        name: "entrySeq",
        required: false,
        kind: ParamKind::Sequence,
        description: "The last entry change the device has (next.entrySeq of the previous page; 0).",
    },
    QueryParam { name: "referenceSeq", required: false, kind: ParamKind::Sequence, description: "The reference snapshot the device has (0)." },
    QueryParam { name: "limit", required: false, kind: ParamKind::SyncLimit, description: "Entries per page, 1..500 (200)." },
    QueryParam {
        name: "protocolVersion",
        required: true,
        kind: ParamKind::ProtocolVersion,
        description: "The sync protocol version the device speaks (2: the typed reference snapshot). Devices built before it send none, which means version 1: a device that speaks a version this server does not is answered 400 naming the versions it speaks.",
    },
];

const PUBLIC_ENTRY: &str = "/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}";

const HISTORY_PAGE: [QueryParam; 2] = [
    QueryParam { name: "pageSize", required: false, kind: ParamKind::PageSize, description: "Events per page, 1..100 (100)." },
    QueryParam {
        name: "cursor",
        required: false,
        kind: ParamKind::ObjectId,
        description: "The eventId after which to continue (nextCursor of the previous page); another id is a 400.",
    },
];
const EVENTS_WINDOW: [QueryParam; 4] = [
    QueryParam { name: "after", required: true, kind: ParamKind::DateTime, description: "Exclusive lower bound of the event time." },
    QueryParam {
        name: "onOrBefore",
        required: true,
        kind: ParamKind::DateTime,
        description: "Inclusive upper bound of the event time (before `after`: a 400 naming onOrBefore).",
    },
    HISTORY_PAGE[0],
    HISTORY_PAGE[1],
];
const ENTRY_HISTORY: &str = "/api/v1/customers/{customerId}/users/{userId}/entries/{entryId}/history";

macro_rules! route {
    ($id:expr, $m:expr, $p:expr, $a:expr, $seed:expr, $s:expr, $q:expr, $b:expr, $r:expr) => {
        RouteSpec { id: $id, method: $m, path: $p, access: $a, seed: $seed, summary: $s, query: $q, body: $b, responses: $r, deprecated: false }
    };
}

/// Every route, literal paths before templated ones where they could collide.
pub static ROUTES: &[RouteSpec] = &[
    route!(
        "getHealth",
        "GET",
        "/healthz",
        Access::Open,
        None,
        "Liveness probe: 200 while the engine is open and its store answers; 503 `unavailable` once it is closed or its database cannot be reached, 503 `corrupt` once its database file was found damaged.",
        &[],
        None,
        &[(200, Some("Health"))]
    ),
    route!("getOpenApi", "GET", "/openapi.json", Access::Open, None, "This OpenAPI document.", &[], None, &[(200, Some("OpenApiDocument"))]),
    // Seed routes.
    route!(
        "unreleaseEntry",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}/unrelease",
        Access::UserScope,
        Some("S1"),
        "Unrelease an entry: unlock and re-validate it.",
        &[],
        None,
        &[(200, None)]
    ),
    route!(
        "overrideEntry",
        "PATCH",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}/override",
        Access::UserScope,
        Some("S2"),
        "Override an entry's summary, units, matter, codes or work date.",
        &[],
        Some(("OverrideBody", true)),
        &[(200, Some("FlatEntry"))]
    ),
    route!("deleteEntry", "DELETE", PUBLIC_ENTRY, Access::UserScope, Some("S3"), "Soft-delete an entry.", &[], None, &[(200, Some("FullEntry"))]),
    RouteSpec {
        id: "listEntriesV1",
        method: "GET",
        path: "/api/v1/customers/{customerId}/entries",
        access: Access::Connector,
        seed: Some("S4"),
        summary: "Entries updated in a window (deprecated: use v2).",
        query: &WINDOW_UPDATED,
        body: None,
        responses: &[(200, Some("FlatEntryList"))],
        deprecated: true,
    },
    route!(
        "exportEntriesV1",
        "GET",
        "/api/v1/customers/{customerId}/entries/export",
        Access::Connector,
        Some("S6"),
        "Entries released in a window, still released.",
        &WINDOW_RELEASED,
        None,
        &[(200, Some("ExportItemList"))]
    ),
    route!(
        "releaseSucceededBatch",
        "POST",
        "/api/v1/customers/{customerId}/entries/release-succeeded/batch",
        Access::Connector,
        Some("S8"),
        "Report many successful releases; one result per item, in order.",
        &[],
        Some(("BatchReleaseSucceededBody", true)),
        &[(207, Some("BatchResults"))]
    ),
    route!(
        "listEntriesV2",
        "GET",
        "/api/v2/customers/{customerId}/entries",
        Access::Connector,
        Some("S5"),
        "Entries updated in a window, by _id, in pages.",
        &WINDOW_UPDATED_PAGED,
        None,
        &[(200, Some("FlatEntryPage"))]
    ),
    route!(
        "exportEntriesV2",
        "GET",
        "/api/v2/customers/{customerId}/entries/export",
        Access::Connector,
        Some("S7"),
        "Entries released in a window, by _id, in pages, as JSON (as CSV: exportEntriesV2Csv).",
        &WINDOW_RELEASED_PAGED,
        None,
        &[(200, Some("ExportPage"))]
    ),
    route!(
        "exportEntriesV2Csv",
        "GET",
        "/api/v2/customers/{customerId}/entries/export.csv",
        Access::Connector,
        Some("S7"),
        "Entries released in a window, by _id, in pages, as CSV (the next page's cursor in X-Next-Cursor).",
        &WINDOW_RELEASED_CSV,
        None,
        &[(200, Some("csv"))]
    ),
    route!(
        "releaseSucceeded",
        "POST",
        "/api/v1/customers/{customerId}/users/{userId}/entries/{entryId}/release-succeeded",
        Access::Connector,
        Some("S9"),
        "Report a successful release (a repeat with the same externalId is a no-op).",
        &[],
        Some(("ReleaseSucceededBody", false)),
        &[(200, None)]
    ),
    route!(
        "releaseFailed",
        "POST",
        "/api/v1/customers/{customerId}/users/{userId}/entries/{entryId}/release-failed",
        Access::Connector,
        Some("S10"),
        "Report a failed release with the PMS messages.",
        &[],
        Some(("ReleaseFailedBody", true)),
        &[(200, None)]
    ),
    // Offline-first sync (extensions, docs/sync.md).
    route!(
        "syncPush",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/sync/push",
        Access::UserScope,
        None,
        "Apply a device's batch of changes: one answer per operation (applied, conflict or rejected); a replayed operation id answers its first answer.",
        &[],
        Some(("PushBatch", true)),
        &[(200, Some("PushResponse"))]
    ),
    route!(
        "syncChanges",
        "GET",
        "/api/v1/public/customers/{customerId}/users/{userId}/sync/changes",
        Access::UserScope,
        None,
        "The user's entries changed after a cursor, in change order, with the reference data when it changed.",
        &SYNC_CURSOR,
        None,
        &[(200, Some("PullPage"))]
    ),
    // Entries (extensions).
    route!(
        "releaseDay",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/release-day",
        Access::UserScope,
        None,
        "Release every entry of a work date: all or nothing, or the ready subset.",
        &[],
        Some(("ReleaseDayBody", true)),
        &[(200, Some("ReleaseDayResult"))]
    ),
    route!(
        "createEntries",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/batch",
        Access::UserScope,
        None,
        "Create up to 1,000 entries, each on its own: one result per item, in input order (201 created, 200 a repeat of a stored _id with the same body, or the item's error); a refused item stores nothing, the others are stored.",
        &[],
        Some(("NewEntryBatch", true)),
        &[(207, Some("CreateEntriesResults"))]
    ),
    route!(
        "createEntry",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries",
        Access::UserScope,
        None,
        "Create an entry (a repeat with the same _id and body answers 200).",
        &[],
        Some(("NewEntry", true)),
        &[(201, Some("FullEntry")), (200, Some("FullEntry"))]
    ),
    route!(
        "listUserEntries",
        "GET",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries",
        Access::UserScope,
        None,
        "The user's entries by work date then _id: every one, or in pages with pageSize or cursor.",
        &USER_ENTRIES,
        None,
        &[(200, Some("FullEntryListOrPage"))]
    ),
    route!("getEntry", "GET", PUBLIC_ENTRY, Access::UserScope, None, "One entry.", &[], None, &[(200, Some("FullEntry"))]),
    route!(
        "editEntry",
        "PATCH",
        PUBLIC_ENTRY,
        Access::UserScope,
        None,
        "Change an editable entry.",
        &[],
        Some(("EntryPatch", true)),
        &[(200, Some("FullEntry"))]
    ),
    route!(
        "releaseEntry",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}/release",
        Access::UserScope,
        None,
        "Release an entry (422 with the failing rules when not ready).",
        &[],
        None,
        &[(200, Some("FullEntry"))]
    ),
    route!(
        "startTimer",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/timers",
        Access::UserScope,
        None,
        "Start a timer (stops the user's other running timer).",
        &[],
        Some(("TimerStart", false)),
        &[(201, Some("FullEntry"))]
    ),
    route!(
        "stopTimer",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}/timer/stop",
        Access::UserScope,
        None,
        "Stop a running timer.",
        &[],
        None,
        &[(200, Some("FullEntry"))]
    ),
    route!(
        "resumeTimer",
        "POST",
        "/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}/timer/resume",
        Access::UserScope,
        None,
        "Resume a timer on its own day.",
        &[],
        None,
        &[(200, Some("FullEntry"))]
    ),
    // Reference data (extensions).
    route!(
        "importClient",
        "POST",
        "/api/v1/customers/{customerId}/clients/import",
        Access::Connector,
        None,
        "Upsert a client by externalId.",
        &[],
        Some(("ClientInput", true)),
        &[(201, Some("Client"))]
    ),
    route!(
        "importCodeType",
        "POST",
        "/api/v1/customers/{customerId}/code-types/import",
        Access::Connector,
        None,
        "Upsert a code type by externalId.",
        &[],
        Some(("CodeTypeInput", true)),
        &[(201, Some("CodeType"))]
    ),
    route!(
        "importCode",
        "POST",
        "/api/v1/customers/{customerId}/codes/import",
        Access::Connector,
        None,
        "Upsert a code by codeTypeExternalId and externalId.",
        &[],
        Some(("CodeInput", true)),
        &[(201, Some("Code"))]
    ),
    route!(
        "importInitiative",
        "POST",
        "/api/v1/customers/{customerId}/initiatives/import",
        Access::Connector,
        None,
        "Upsert a matter by externalId.",
        &[],
        Some(("InitiativeInput", true)),
        &[(201, Some("Initiative"))]
    ),
    route!(
        "setInitiativeCodes",
        "POST",
        "/api/v1/customers/{customerId}/initiatives/{initiativeExternalId}/codes",
        Access::Connector,
        None,
        "Replace the allowed codes of a matter.",
        &[],
        Some(("InitiativeCodesBody", true)),
        &[(200, Some("Initiative"))]
    ),
    route!(
        "setInitiativeAccess",
        "POST",
        "/api/v1/customers/{customerId}/initiatives/{initiativeExternalId}/access",
        Access::Connector,
        None,
        "Replace the allow or deny list of a matter.",
        &[],
        Some(("InitiativeAccessBody", true)),
        &[(200, Some("Initiative"))]
    ),
    route!(
        "setInitiativeRules",
        "POST",
        "/api/v1/validations/customers/{customerId}/initiatives/{initiativeExternalId}/rules",
        Access::Connector,
        None,
        "Set a matter's validation rules.",
        &[],
        Some(("RulesInput", true)),
        &[(200, Some("Rules"))]
    ),
    route!(
        "setCustomerRules",
        "POST",
        "/api/v1/validations/customers/{customerId}/rules",
        Access::Connector,
        None,
        "Set the customer-wide validation rules.",
        &[],
        Some(("RulesInput", true)),
        &[(200, Some("Rules"))]
    ),
    route!(
        "listInitiatives",
        "GET",
        "/api/v1/customers/{customerId}/initiatives",
        Access::Connector,
        None,
        "Every matter, with its _id.",
        &[],
        None,
        &[(200, Some("InitiativeList"))]
    ),
    route!(
        "listCodes",
        "GET",
        "/api/v1/customers/{customerId}/codes",
        Access::Connector,
        None,
        "Every code, with its _id.",
        &[],
        None,
        &[(200, Some("CodeList"))]
    ),
    route!(
        "listClients",
        "GET",
        "/api/v1/customers/{customerId}/clients",
        Access::Connector,
        None,
        "Every client, with its _id.",
        &[],
        None,
        &[(200, Some("ClientList"))]
    ),
    route!(
        "listTotals",
        "GET",
        "/api/v1/customers/{customerId}/totals",
        Access::Connector,
        None,
        "Units and billed seconds per user, work date and matter.",
        &TOTALS,
        None,
        &[(200, Some("TotalList"))]
    ),
    route!(
        "updateCustomerSettings",
        "PUT",
        "/api/v1/customers/{customerId}/settings",
        Access::Admin,
        None,
        "Change the customer's settings.",
        &[],
        Some(("CustomerSettingsPatch", true)),
        &[(200, Some("CustomerSettings"))]
    ),
    route!(
        "updateUserSettings",
        "PUT",
        "/api/v1/customers/{customerId}/users/{userId}/settings",
        Access::ConnectorOrSelf,
        None,
        "Change a user's time zone.",
        &[],
        Some(("UserSettings", true)),
        &[(200, Some("UserSettings"))]
    ),
    // Webhooks (issue 16, decisions 96-100).
    route!(
        "createWebhook",
        "POST",
        "/api/v1/customers/{customerId}/webhooks",
        Access::Connector,
        None,
        "Subscribe a target URL to event kinds. The answer holds the signing secret, shown only here. A target that is not http(s), holds credentials, or points to a forbidden address (loopback, private, link-local, metadata, multicast, broadcast; unless the operator allows the host) is refused 400 before anything is stored.",
        &[],
        Some(("NewWebhook", true)),
        &[(201, Some("WebhookCreated"))]
    ),
    route!(
        "listWebhooks",
        "GET",
        "/api/v1/customers/{customerId}/webhooks",
        Access::Connector,
        None,
        "The customer's webhook subscriptions (a disabled one with when and why).",
        &[],
        None,
        &[(200, Some("WebhookList"))]
    ),
    route!(
        "getWebhook",
        "GET",
        "/api/v1/customers/{customerId}/webhooks/{webhookId}",
        Access::Connector,
        None,
        "One webhook subscription (a disabled one with when and why).",
        &[],
        None,
        &[(200, Some("Webhook"))]
    ),
    route!(
        "deleteWebhook",
        "DELETE",
        "/api/v1/customers/{customerId}/webhooks/{webhookId}",
        Access::Connector,
        None,
        "Remove a webhook subscription and its deliveries (pending ones are not sent).",
        &[],
        None,
        &[(204, None)]
    ),
    route!(
        "listWebhookDeliveries",
        "GET",
        "/api/v1/customers/{customerId}/webhooks/{webhookId}/deliveries",
        Access::Connector,
        None,
        "The subscription's newest 100 deliveries, newest first: state (pending, delivered, dead, held), attempts, the last answer.",
        &[],
        None,
        &[(200, Some("WebhookDeliveryList"))]
    ),
    route!(
        "redeliverWebhookDelivery",
        "POST",
        "/api/v1/customers/{customerId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
        Access::Connector,
        None,
        "Queue a dead delivery again (409 when it is not dead); a disabled subscription is enabled again and its held deliveries queued behind it.",
        &[],
        None,
        &[(200, Some("WebhookDelivery"))]
    ),
    // ----- events (issue 16)
    route!(
        "getEntryHistory",
        "GET",
        ENTRY_HISTORY,
        Access::UserScope,
        None,
        "The entry's change events, oldest first, in pages (an admin also reads a deleted entry's; another user's entry is a 404).",
        &HISTORY_PAGE,
        None,
        &[(200, Some("EventPage"))]
    ),
    route!(
        "getEntryHistoryCsv",
        "GET",
        "/api/v1/customers/{customerId}/users/{userId}/entries/{entryId}/history.csv",
        Access::UserScope,
        None,
        "The entry's change events as CSV (the next page's cursor in X-Next-Cursor).",
        &HISTORY_PAGE,
        None,
        &[(200, Some("csv"))]
    ),
    route!(
        "listEvents",
        "GET",
        "/api/v1/customers/{customerId}/events",
        Access::Connector,
        None,
        "Every change event of the customer with a time in the half-open window, by time, in pages.",
        &EVENTS_WINDOW,
        None,
        &[(200, Some("EventPage"))]
    ),
    route!(
        "listEventsCsv",
        "GET",
        "/api/v1/customers/{customerId}/events.csv",
        Access::Connector,
        None,
        "The customer's change events in the window as CSV (the next page's cursor in X-Next-Cursor).",
        &EVENTS_WINDOW,
        None,
        &[(200, Some("csv"))]
    ),
];
