//! The route table and its handlers. The table is the single description of the surface: the
//! dispatcher matches requests against it and the OpenAPI document is generated from it, so a
//! route cannot be served without being documented, nor documented without being served.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::auth::{Principal, Role, Verifier};
use super::idempotency;
use super::json::parse_body;
use super::matching::{candidates, segments};
use super::table::{Access, RouteSpec};
use super::{error_response, Request, Response, MAX_BODY_BYTES};
use crate::engine::{Act, AnswerKey, Engine, Keeping, Scope, TimerStart, Window, MAX_BATCH_ITEMS, MAX_PAGE_SIZE};
use crate::error::{Result, TenthsError};
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::time::{Date, Timestamp};

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes a path segment or query component (`+` stays a plus: RFC 3986, so offsets
/// such as `+02:00` survive unencoded).
fn percent_decode(s: &str, field: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_val);
            let lo = bytes.get(i + 2).copied().and_then(hex_val);
            match (hi, lo) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => return Err(TenthsError::invalid(field, "malformed percent-encoding")),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| TenthsError::invalid(field, "not valid UTF-8"))
}

struct Ctx<'a> {
    engine: &'a Engine,
    principal: Option<Principal>,
    params: HashMap<&'static str, String>,
    query: HashMap<String, String>,
    body: &'a [u8],
    /// The request's idempotency key, when it carries one (decision 53).
    key: Option<AnswerKey>,
}

impl Ctx<'_> {
    fn id(&self, name: &str) -> Result<ObjectId> {
        let raw = self.params.get(name).map(String::as_str).unwrap_or("");
        ObjectId::parse_field(raw, name)
    }
    fn text(&self, name: &str) -> String {
        self.params.get(name).cloned().unwrap_or_default()
    }
    fn customer(&self) -> Result<ObjectId> {
        self.id("customerId")
    }
    /// The owner named in the path, acting as the caller.
    fn scope(&self) -> Result<Scope> {
        let customer = self.customer()?;
        let user = self.id("userId")?;
        let actor = self.principal.as_ref().map(|p| p.user).unwrap_or(user);
        Ok(Scope::new(customer, user).acting_as(actor))
    }
    fn query_str(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
    fn required(&self, name: &str) -> Result<&str> {
        self.query_str(name).ok_or_else(|| TenthsError::invalid(name, "is required"))
    }
    fn timestamp(&self, name: &str) -> Result<Timestamp> {
        Timestamp::parse_field(self.required(name)?, name)
    }
    fn date(&self, name: &str) -> Result<Date> {
        Date::parse_field(self.required(name)?, name)
    }
    /// A window whose end is before its start selects nothing (it is not an error).
    fn window(&self, after: &str, on_or_before: &str) -> Result<Window> {
        let a = self.timestamp(after)?;
        let b = self.timestamp(on_or_before)?;
        Ok(Window { after: a, on_or_before: b })
    }
    /// Work dates `from..=to`, or `None` when `to` is before `from` (an empty range).
    fn work_dates(&self) -> Result<Option<(Date, Date)>> {
        let from = self.date("workDateFrom")?;
        let to = self.date("workDateTo")?;
        Ok((from <= to).then_some((from, to)))
    }
    fn page_size(&self) -> Result<usize> {
        match self.query_str("pageSize") {
            None => Ok(MAX_PAGE_SIZE),
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| TenthsError::invalid("pageSize", format!("must be an integer between 1 and {MAX_PAGE_SIZE}"))),
        }
    }
    fn cursor(&self) -> Result<Option<ObjectId>> {
        self.query_str("cursor").map(|c| ObjectId::parse_field(c, "cursor")).transpose()
    }
    fn body<T: DeserializeOwned>(&self) -> Result<T> {
        parse_body(self.body, false)
    }
    fn optional_body<T: DeserializeOwned + Default>(&self) -> Result<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            Ok(T::default())
        } else {
            parse_body(self.body, false)
        }
    }
    /// Runs a route's one facade call and renders its answer. With an idempotency key the
    /// answer is kept with the call's work, in one commit, or the answer kept under the key is
    /// replayed without doing the work again.
    fn answer<T: 'static>(&self, call: impl FnOnce() -> Result<T>, render: fn(&T) -> Response) -> Result<Response> {
        let Some(key) = &self.key else { return call().map(|v| render(&v)) };
        Ok(match self.engine.keeping(key, render, call)? {
            Keeping::Done(v) => render(&v),
            Keeping::Kept(kept) => idempotency::replay(kept, key),
        })
    }
    fn no_body(&self) -> Result<()> {
        #[derive(Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        struct Nothing {}
        self.optional_body::<Nothing>().map(|_| ())
    }
}

fn authenticate(verifier: Option<&dyn Verifier>, request: &Request) -> Result<Principal> {
    if let Some(p) = &request.principal {
        return Ok(p.clone());
    }
    let header = request.header_value("authorization").ok_or_else(|| TenthsError::Unauthenticated { reason: "missing bearer token".into() })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| TenthsError::Unauthenticated { reason: "the Authorization header must be `Bearer <token>`".into() })?;
    let verifier = verifier.ok_or_else(|| TenthsError::Unauthenticated { reason: "this engine accepts no tokens".into() })?;
    verifier.verify(token)
}

fn denied(reason: &str) -> TenthsError {
    TenthsError::PermissionDenied { reason: reason.into() }
}

fn authorize(spec: &RouteSpec, p: &Principal, ctx: &Ctx<'_>) -> Result<()> {
    if ctx.customer()? != p.customer {
        return Err(denied("the token is for another customer"));
    }
    let acts_for_user = || -> Result<bool> {
        let user = ctx.id("userId")?;
        Ok(p.user == user || p.delegator_ids.contains(&user))
    };
    let ok = match spec.access {
        Access::Open => true,
        Access::Admin => p.role == Role::Admin,
        Access::Connector => matches!(p.role, Role::Connector | Role::Admin),
        Access::UserScope => p.role == Role::Admin || (p.role == Role::User && acts_for_user()?),
        Access::ConnectorOrSelf => matches!(p.role, Role::Connector | Role::Admin) || (p.role == Role::User && acts_for_user()?),
    };
    if ok {
        Ok(())
    } else {
        Err(denied(match spec.access {
            Access::Connector => "this route needs a connector or admin token",
            Access::Admin => "this route needs an admin token",
            _ => "the token may not act for this user",
        }))
    }
}

fn check_content_type(request: &Request) -> Result<()> {
    if request.body.is_empty() {
        return Ok(());
    }
    match request.header_value("content-type") {
        None => Ok(()),
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim();
            if mime.eq_ignore_ascii_case("application/json") || (mime.starts_with("application/") && mime.ends_with("+json")) {
                Ok(())
            } else {
                Err(TenthsError::invalid("Content-Type", format!("expected application/json, got {mime:?}")))
            }
        }
    }
}

fn parse_query(raw: &str, spec: &RouteSpec) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k, "query")?;
        if key.is_empty() {
            // `?=x` or `&=x`: there is no name to report, so the error names the query.
            return Err(TenthsError::invalid("query", "a query parameter without a name"));
        }
        let value = percent_decode(v, &key)?;
        if !spec.query.iter().any(|q| q.name == key) {
            return Err(TenthsError::invalid(key, "unknown query parameter"));
        }
        if out.insert(key.clone(), value).is_some() {
            return Err(TenthsError::invalid(key, "given more than once"));
        }
    }
    Ok(out)
}

/// The route a request for `method` and `path` (query allowed) is served by: among the
/// templates that match the path, the most specific (most literal segments) wins, then the one of
/// that method. `None` when no template matches the path or none of the best takes `method`.
/// Finds the route, authenticates, authorizes, and runs the handler; every failure becomes the
/// single error body.
pub(crate) fn dispatch(engine: &Engine, verifier: Option<&dyn Verifier>, request: &Request) -> Response {
    let (path, query) = request.path.split_once('?').unwrap_or((request.path.as_str(), ""));
    let method = request.method.to_ascii_uppercase();
    // Among the templates that match the path, the most specific (most literal segments) wins.
    let segs: Vec<&str> = segments(path).collect();
    let candidates = candidates(&segs);
    if candidates.is_empty() {
        return error_response(&TenthsError::not_found("route", path));
    }
    let found = candidates.iter().find(|(s, _)| s.method == method).map(|(s, t)| (*s, t.params(&segs)));
    let Some((spec, raw_params)) = found else {
        let allow: Vec<&str> = candidates.iter().map(|(s, _)| s.method).collect();
        let mut r =
            super::Response::json(405, &serde_json::json!({"error": {"code": "method_not_allowed", "message": format!("{method} is not allowed here")}}));
        r.headers.push(("Allow".into(), allow.join(", ")));
        return r;
    };
    match serve(engine, verifier, request, spec, raw_params, query) {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

fn serve(
    engine: &Engine,
    verifier: Option<&dyn Verifier>,
    request: &Request,
    spec: &'static RouteSpec,
    raw_params: Vec<(&'static str, &str)>,
    query: &str,
) -> Result<Response> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(TenthsError::TooLarge { reason: format!("the body is over {MAX_BODY_BYTES} bytes") });
    }
    let principal = if spec.access == Access::Open { None } else { Some(authenticate(verifier, request)?) };
    let mut params = HashMap::new();
    for (name, raw) in raw_params {
        params.insert(name, percent_decode(raw, name)?);
    }
    let query = parse_query(query, spec)?;
    let mut ctx = Ctx { engine, principal, params, query, body: &request.body, key: None };
    if let Some(p) = &ctx.principal {
        match authorize(spec, p, &ctx) {
            // Another user's history is a 404, as a missing entry is (no existence oracle).
            Err(TenthsError::PermissionDenied { .. }) if is_history(spec.id) && p.role == Role::User && ctx.customer()? == p.customer => {
                return Err(TenthsError::not_found("entry", ctx.text("entryId")));
            }
            other => other?,
        }
    }
    // Decision 53: a key is looked at once the caller is known (a 401 or 403 is never kept).
    ctx.key = idempotency::key_of(request, spec.method, ctx.principal.as_ref())?;
    if let Some(key) = &ctx.key {
        if let Some(kept) = engine.kept_answer(key)? {
            return Ok(idempotency::replay(kept, key));
        }
    }
    let act = act_of(ctx.principal.as_ref(), request);
    let outcome = engine.acting(act, || {
        check_content_type(request)?;
        if spec.body.is_none() {
            ctx.no_body()?;
        }
        run(spec.id, &ctx)
    });
    match (outcome, &ctx.key) {
        (Err(e), Some(key)) => idempotency::refused(engine, key, e),
        (outcome, _) => outcome,
    }
}

/// Who acts in the change events a request makes: the token's user, in the role the token gives
/// (a user's role, owner or delegate, is decided by the entry's owner), and the request id.
fn act_of(principal: Option<&Principal>, request: &Request) -> Act {
    let role = principal.and_then(|p| match p.role {
        Role::Admin => Some(crate::model::ActorRole::Admin),
        Role::Connector => Some(crate::model::ActorRole::Connector),
        Role::User => None,
    });
    Act { actor: principal.map(|p| p.user), role, request_id: request.request_id.clone(), ..Act::default() }
}

fn is_history(id: &str) -> bool {
    matches!(id, "getEntryHistory" | "getEntryHistoryCsv")
}

/// A page of events as JSON (`{"events", "nextCursor"?}`) or CSV (the next cursor in
/// `X-Next-Cursor`).
fn events_page(page: &Page<ChangeEvent>, csv: bool) -> Response {
    if csv {
        let mut headers = vec![("Content-Type".to_string(), "text/csv; charset=utf-8".to_string())];
        if let Some(next) = page.next_cursor {
            headers.push(("X-Next-Cursor".into(), next.to_string()));
        }
        return Response { status: 200, headers, body: crate::wire::events_csv(&page.items).into_bytes() };
    }
    Response::json(200, &serde_json::json!({"events": page.items, "nextCursor": page.next_cursor}).as_object().map(strip_null).unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseSucceededBody {
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    re_release_failed_messages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseFailedBody {
    errors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BatchBody {
    Wrapped(BatchWrapped),
    Bare(Vec<serde_json::Value>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchWrapped {
    entries: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReleaseDayBody {
    work_date: Date,
    #[serde(default, deserialize_with = "crate::wire::de_null_as_default")]
    mode: ReleaseDayMode,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitiativeCodesBody {
    code_external_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitiativeAccessBody {
    #[serde(rename = "type")]
    kind: AccessKind,
    user_ids: Vec<ObjectId>,
}

fn full(status: u16, e: &Entry) -> Response {
    Response::json(status, &e.full())
}

/// The 207 answer of a bulk create: per item, in input order, the status a single create would
/// answer with the entry (201 created, 200 a repeat) or with its error body.
fn created_batch(results: &Vec<Result<(Entry, bool)>>) -> Response {
    let items: Vec<serde_json::Value> = results
        .iter()
        .map(|r| match r {
            Ok((e, created)) => serde_json::json!({"status": if *created { 201 } else { 200 }, "entry": e.full()}),
            Err(e) => serde_json::json!({"status": super::status_of(e.kind()), "error": super::error_detail(e)}),
        })
        .collect();
    Response::json(207, &serde_json::json!({ "results": items }))
}

/// A page of the export as CSV, the next page's cursor in `X-Next-Cursor`.
fn csv_page(page: &Page<Entry>) -> Response {
    let mut body = crate::wire::csv_header();
    for e in &page.items {
        crate::wire::push_csv_row(&mut body, e);
    }
    let mut headers = vec![("Content-Type".to_string(), "text/csv; charset=utf-8".to_string())];
    if let Some(next) = page.next_cursor {
        headers.push(("X-Next-Cursor".into(), next.to_string()));
    }
    Response { status: 200, headers, body: body.into_bytes() }
}

fn run(id: &str, c: &Ctx<'_>) -> Result<Response> {
    let engine = c.engine;
    Ok(match id {
        // A closed engine answers every other call 503, a damaged one every write, and one whose
        // database cannot be reached every call: its health check must say so, or a load
        // balancer would keep sending it requests (decisions 50, 52, 75).
        "getHealth" => {
            engine.health()?;
            engine.check_store()?;
            Response::json(200, &serde_json::json!({"status": "ok"}))
        }
        "getOpenApi" => Response::json(200, &super::openapi::document()),
        "unreleaseEntry" => c.answer(|| engine.unrelease(&c.scope()?, &c.id("entryId")?), |_| Response::empty(200))?,
        "overrideEntry" => {
            let input: OverrideInput = c.body()?;
            c.answer(|| engine.override_entry(&c.scope()?, &c.id("entryId")?, &input), |e| Response::json(200, &e.flat()))?
        }
        "deleteEntry" => c.answer(|| engine.delete_entry(&c.scope()?, &c.id("entryId")?), |e| full(200, e))?,
        "listEntriesV1" => {
            let items = engine.list_updated(&c.customer()?, c.window("updatedAfter", "updatedOnOrBefore")?)?;
            let flat: Vec<_> = items.iter().map(Entry::flat).collect();
            let mut r = Response::json(200, &flat);
            r.headers.push(("Deprecation".into(), "true".into()));
            r
        }
        "listEntriesV2" => {
            let page = engine.list_updated_page(&c.customer()?, c.window("updatedAfter", "updatedOnOrBefore")?, c.page_size()?, c.cursor()?.as_ref())?;
            let entries: Vec<_> = page.items.iter().map(Entry::flat).collect();
            Response::json(200, &serde_json::json!({"entries": entries, "nextCursor": page.next_cursor}).as_object().map(strip_null).unwrap_or_default())
        }
        "exportEntriesV1" => {
            let items = engine.export_released(&c.customer()?, c.window("releasedAfter", "releasedOnOrBefore")?)?;
            let export: Vec<_> = items.iter().map(Entry::export_item).collect();
            Response::json(200, &export)
        }
        "exportEntriesV2" => {
            let format = c.query_str("format").unwrap_or("json");
            if format != "json" && format != "csv" {
                return Err(TenthsError::invalid("format", "expected json or csv"));
            }
            let (customer, window, page_size, cursor) = (c.customer()?, c.window("releasedAfter", "releasedOnOrBefore")?, c.page_size()?, c.cursor()?);
            if format == "csv" {
                csv_page(&engine.export_released_page(&customer, window, page_size, cursor.as_ref())?)
            } else {
                let page = engine.export_page(&customer, window, page_size, cursor.as_ref())?;
                let entries: Vec<_> = page.items.iter().map(ExportRow::export_item).collect();
                Response::json(200, &serde_json::json!({"entries": entries, "nextCursor": page.next_cursor}).as_object().map(strip_null).unwrap_or_default())
            }
        }
        "exportEntriesV2Csv" => {
            csv_page(&engine.export_released_page(&c.customer()?, c.window("releasedAfter", "releasedOnOrBefore")?, c.page_size()?, c.cursor()?.as_ref())?)
        }
        "releaseSucceededBatch" => {
            let raw = match parse_body::<BatchBody>(c.body, true)? {
                BatchBody::Wrapped(w) => w.entries,
                BatchBody::Bare(items) => items,
            };
            if raw.len() > MAX_BATCH_ITEMS {
                return Err(TenthsError::TooLarge { reason: format!("at most {MAX_BATCH_ITEMS} items per batch") });
            }
            let mut items = Vec::with_capacity(raw.len());
            for (i, v) in raw.into_iter().enumerate() {
                let item: ReleaseSucceededItem = serde_json::from_value(v).map_err(|e| TenthsError::invalid(format!("entries[{i}]"), e.to_string()))?;
                items.push(item);
            }
            c.answer(|| engine.release_succeeded_batch(&c.customer()?, &items), |results| Response::json(207, &serde_json::json!({ "results": results })))?
        }
        "releaseSucceeded" => {
            let body: ReleaseSucceededBody = c.optional_body()?;
            let call = || {
                engine.release_succeeded(
                    &c.customer()?,
                    Some(&c.id("userId")?),
                    &c.id("entryId")?,
                    body.external_id.as_deref(),
                    body.re_release_failed_messages.as_deref(),
                )
            };
            c.answer(call, |_| Response::empty(200))?
        }
        "releaseFailed" => {
            let body: ReleaseFailedBody = c.body()?;
            c.answer(|| engine.release_failed(&c.customer()?, Some(&c.id("userId")?), &c.id("entryId")?, &body.errors), |_| Response::empty(200))?
        }
        "releaseDay" => {
            let body: ReleaseDayBody = c.body()?;
            c.answer(|| engine.release_day(&c.scope()?, body.work_date, body.mode), |r| Response::json(200, r))?
        }
        "createEntries" => {
            let raw = match parse_body::<BatchBody>(c.body, true)? {
                BatchBody::Wrapped(w) => w.entries,
                BatchBody::Bare(items) => items,
            };
            if raw.len() > MAX_BATCH_ITEMS {
                return Err(TenthsError::TooLarge { reason: format!("at most {MAX_BATCH_ITEMS} items per batch") });
            }
            // The document lets items be any object: one that is not is the whole batch's 400;
            // an object that is not a new entry is answered its own 400, the others are created.
            if let Some(i) = raw.iter().position(|v| !v.is_object()) {
                return Err(TenthsError::invalid(format!("entries[{i}]"), "must be an object"));
            }
            let parsed: Vec<Result<NewEntry>> = raw.iter().map(super::json::parse_json_value).collect();
            let call = || {
                let good: Vec<NewEntry> = parsed.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
                let mut created = engine.create_entries(&c.scope()?, &good)?.into_iter();
                let mut out = Vec::with_capacity(parsed.len());
                for p in &parsed {
                    out.push(match p {
                        Ok(_) => created.next().ok_or_else(|| TenthsError::Storage { reason: "a batch item was answered nothing".into() })?,
                        Err(e) => Err(e.clone()),
                    });
                }
                Ok(out)
            };
            c.answer(call, created_batch)?
        }
        "createEntry" => {
            let input: NewEntry = c.body()?;
            c.answer(|| engine.create_entry(&c.scope()?, &input), |(e, created)| full(if *created { 201 } else { 200 }, e))?
        }
        "listUserEntries" => {
            let scope = c.scope()?;
            // Decision 49: the bare list stays the answer of a request without paging
            // parameters (clients written against it keep working); either one asks for a page.
            if c.query_str("pageSize").is_none() && c.query_str("cursor").is_none() {
                let items = match c.work_dates()? {
                    Some((from, to)) => engine.list_entries(&scope, from, to)?,
                    None => Vec::new(),
                };
                let list: Vec<_> = items.iter().map(Entry::full).collect();
                return Ok(Response::json(200, &list));
            }
            let (page_size, cursor) = (c.page_size()?, c.cursor()?);
            let page = match c.work_dates()? {
                Some((from, to)) => engine.list_entries_page(&scope, from, to, page_size, cursor.as_ref())?,
                None => Page { items: Vec::new(), next_cursor: None },
            };
            let entries: Vec<_> = page.items.iter().map(Entry::full).collect();
            Response::json(200, &serde_json::json!({"entries": entries, "nextCursor": page.next_cursor}).as_object().map(strip_null).unwrap_or_default())
        }
        "getEntry" => full(200, &engine.get_entry(&c.scope()?, &c.id("entryId")?)?),
        "editEntry" => {
            let patch: EntryPatch = c.body()?;
            c.answer(|| engine.edit_entry(&c.scope()?, &c.id("entryId")?, &patch), |e| full(200, e))?
        }
        "releaseEntry" => c.answer(|| engine.release_entry(&c.scope()?, &c.id("entryId")?), |e| full(200, e))?,
        "startTimer" => {
            let input: TimerStart = c.optional_body()?;
            c.answer(|| engine.start_timer(&c.scope()?, &input), |e| full(201, e))?
        }
        "stopTimer" => c.answer(|| engine.stop_timer(&c.scope()?, &c.id("entryId")?), |e| full(200, e))?,
        "resumeTimer" => c.answer(|| engine.resume_timer(&c.scope()?, &c.id("entryId")?), |e| full(200, e))?,
        "importClient" => c.answer(|| engine.upsert_client(&c.customer()?, &c.body()?), |v| Response::json(201, v))?,
        "importCodeType" => c.answer(|| engine.upsert_code_type(&c.customer()?, &c.body()?), |v| Response::json(201, v))?,
        "importCode" => c.answer(|| engine.upsert_code(&c.customer()?, &c.body()?), |v| Response::json(201, v))?,
        "importInitiative" => c.answer(|| engine.upsert_initiative(&c.customer()?, &c.body()?), |v| Response::json(201, v))?,
        "setInitiativeCodes" => {
            let body: InitiativeCodesBody = c.body()?;
            c.answer(|| engine.set_initiative_codes(&c.customer()?, &c.text("initiativeExternalId"), &body.code_external_ids), |v| Response::json(200, v))?
        }
        "setInitiativeAccess" => {
            let body: InitiativeAccessBody = c.body()?;
            c.answer(|| engine.set_initiative_access(&c.customer()?, &c.text("initiativeExternalId"), body.kind, &body.user_ids), |v| Response::json(200, v))?
        }
        "setInitiativeRules" => {
            let body: ValidationRulesInput = c.body()?;
            c.answer(|| engine.set_validation_rules(&c.customer()?, Some(&c.text("initiativeExternalId")), &body), |v| Response::json(200, v))?
        }
        "setCustomerRules" => {
            let body: ValidationRulesInput = c.body()?;
            c.answer(|| engine.set_validation_rules(&c.customer()?, None, &body), |v| Response::json(200, v))?
        }
        "listInitiatives" => Response::json(200, &engine.list_initiatives(&c.customer()?)?),
        "listCodes" => Response::json(200, &engine.list_codes(&c.customer()?)?),
        "listClients" => Response::json(200, &engine.list_clients(&c.customer()?)?),
        "listTotals" => {
            let user = c.query_str("userId").map(|u| ObjectId::parse_field(u, "userId")).transpose()?;
            let customer = c.customer()?;
            match c.work_dates()? {
                Some((from, to)) => Response::json(200, &engine.totals(&customer, user.as_ref(), from, to)?),
                None => Response::json(200, &Vec::<Total>::new()),
            }
        }
        "syncPush" => {
            let batch: crate::sync::PushBatch = c.body()?;
            c.answer(|| engine.sync_apply_push(&c.scope()?, &batch), |v| Response::json(200, v))?
        }
        "syncChanges" => {
            let seq = |name: &str| -> Result<i64> {
                match c.query_str(name) {
                    None => Ok(0),
                    Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| TenthsError::invalid(name, "must be an integer of at least 0")),
                }
            };
            let after = crate::sync::PullCursor { entry_seq: seq("entrySeq")?, reference_seq: seq("referenceSeq")? };
            let limit = match c.query_str("limit") {
                None => 200,
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=crate::sync::MAX_SYNC_BATCH).contains(n))
                    .ok_or_else(|| TenthsError::invalid("limit", "must be an integer between 1 and 500"))?,
            };
            let protocol = match c.query_str("protocolVersion") {
                None => 1,
                Some(v) => {
                    v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| TenthsError::invalid("protocolVersion", "must be an integer of at least 1"))?
                }
            };
            Response::json(200, &engine.sync_changes_for(&c.customer()?, &c.id("userId")?, after, limit, protocol)?)
        }
        "updateCustomerSettings" => {
            let patch: CustomerSettingsPatch = c.body()?;
            c.answer(|| engine.update_customer_settings(&c.customer()?, &patch), |v| Response::json(200, v))?
        }
        "updateUserSettings" => {
            let settings: UserSettings = c.body()?;
            c.answer(|| engine.update_user_settings(&c.customer()?, &c.id("userId")?, &settings), |v| Response::json(200, v))?
        }
        "createWebhook" => {
            let input: crate::model::webhooks::NewSubscription = c.body()?;
            c.answer(|| engine.create_webhook(&c.customer()?, &input), |s| Response::json(201, &s.view(true)))?
        }
        "listWebhooks" => {
            let views: Vec<_> = engine.list_webhooks(&c.customer()?)?.iter().map(|s| s.view(false)).collect();
            Response::json(200, &views)
        }
        "getWebhook" => Response::json(200, &engine.get_webhook(&c.customer()?, &c.id("webhookId")?)?.view(false)),
        "deleteWebhook" => c.answer(|| engine.delete_webhook(&c.customer()?, &c.id("webhookId")?), |_| Response::empty(204))?,
        "listWebhookDeliveries" => Response::json(200, &engine.webhook_deliveries(&c.customer()?, &c.id("webhookId")?)?),
        "redeliverWebhookDelivery" => {
            c.answer(|| engine.redeliver_webhook(&c.customer()?, &c.id("webhookId")?, &c.id("deliveryId")?), |d| Response::json(200, d))?
        }
        // ----- events (issue 16)
        "getEntryHistory" | "getEntryHistoryCsv" => {
            let sees_deleted = c.principal.as_ref().is_some_and(|p| p.role == Role::Admin);
            let page = engine.entry_history(&c.scope()?, &c.id("entryId")?, sees_deleted, c.page_size()?, c.cursor()?.as_ref())?;
            events_page(&page, id == "getEntryHistoryCsv")
        }
        "listEvents" | "listEventsCsv" => {
            let page = engine.events(&c.customer()?, c.window("after", "onOrBefore")?, c.page_size()?, c.cursor()?.as_ref())?;
            events_page(&page, id == "listEventsCsv")
        }
        other => return Err(TenthsError::Storage { reason: format!("route {other} has no handler") }),
    })
}

fn strip_null(map: &serde_json::Map<String, serde_json::Value>) -> serde_json::Map<String, serde_json::Value> {
    map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::matching::route_of;
    use crate::api::table::ROUTES;

    #[test]
    fn percent_decoding_keeps_plus() {
        assert_eq!(percent_decode("2022-08-12T22:44:48+02:00", "q").unwrap(), "2022-08-12T22:44:48+02:00");
        assert_eq!(percent_decode("2022-08-12T22%3A44%3A48%2B02%3A00", "q").unwrap(), "2022-08-12T22:44:48+02:00");
        assert!(percent_decode("%zz", "q").is_err());
        assert!(percent_decode("%ff", "q").is_err());
    }

    #[test]
    fn a_query_parameter_without_a_name_is_refused_on_the_query() {
        // Found by the `router` fuzz target (fuzz/seeds/router/crash-empty-query-name): the
        // 400 named the field "" (the parameter's empty name).
        let engine = Engine::open_in_memory().unwrap();
        for path in ["/healthz?=1", "/healthz?=", "/openapi.json?&=b"] {
            let r = dispatch(&engine, None, &Request::new("GET", path, Vec::new()));
            let body = r.body_json();
            assert_eq!((r.status, body["error"]["field"].as_str()), (400, Some("query")), "{path}: {body}");
        }
    }

    #[test]
    fn route_ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
        }
    }

    #[test]
    fn route_of_names_the_template_that_serves() {
        let user = "/api/v1/public/customers/64b7f0c2a1b2c3d4e5f60001/users/64b7f0c2a1b2c3d4e5f60002";
        let template = |m: &str, p: &str| route_of(m, p).map(|s| s.path);
        assert_eq!(template("GET", &format!("{user}/entries?workDateFrom=2026-01-01")), Some("/api/v1/public/customers/{customerId}/users/{userId}/entries"));
        assert_eq!(template("post", &format!("{user}/entries/release-day")), Some("/api/v1/public/customers/{customerId}/users/{userId}/entries/release-day"));
        assert_eq!(
            template("GET", &format!("{user}/entries/64b7f0c2a1b2c3d4e5f60e01")),
            Some("/api/v1/public/customers/{customerId}/users/{userId}/entries/{entryId}")
        );
        assert_eq!(template("GET", "/no/such/route"), None);
        assert_eq!(template("PUT", "/healthz"), None, "a path whose routes take other methods (405)");
        assert_eq!(route_of("GET", "/healthz").map(|s| s.id), Some("getHealth"));
    }
}
