//! Golden JSON of each wire shape (domain.md §7): the exact fields, names and omissions.
//! Generated ids (matter, client, code, source) are substituted into the expected text.

use tenths::{CodeInput, CodeTypeInput, NewEntry, Scope, SourceInput, SourceKind, Window};

use crate::conformance::{open_at, Backend, Opened};
use crate::{oid, ts};

struct Fixture {
    engine: Opened,
    entry: tenths::Entry,
    subs: Vec<(&'static str, String)>,
}

fn fixture(backend: &dyn Backend) -> Fixture {
    let (engine, clock) = open_at(backend, "2026-03-10T18:00:00Z");
    let customer = oid(0xc);
    let scope = Scope::new(customer, oid(0xa));
    let matter = crate::simple_matter(&engine, &customer);
    let client = engine.list_clients(&customer).unwrap()[0].id;
    engine.upsert_code_type(&customer, &CodeTypeInput { external_id: "task".into(), name: "Task".into(), semantic_type: "task".into() }).unwrap();
    let code = engine
        .upsert_code(
            &customer,
            &CodeInput {
                external_id: "L110".into(),
                name: "Fact investigation".into(),
                description: None,
                code_type_external_id: "task".into(),
                is_disabled: None,
            },
        )
        .unwrap();
    let (e, _) = engine
        .create_entry(
            &scope,
            &NewEntry {
                id: Some(oid(0xe1)),
                initiative_id: Some(matter),
                summary: Some("Reviewed the contract".into()),
                notes: Some("Clause 7 needs a second look".into()),
                code_ids: vec![code.id],
                sources: vec![SourceInput {
                    kind: SourceKind::Document,
                    started_at: ts("2026-03-10T09:00:00Z"),
                    ended_at: ts("2026-03-10T09:07:00.500Z"),
                    title: Some("contract.docx".into()),
                }],
                ..Default::default()
            },
        )
        .unwrap();
    clock.set(ts("2026-03-10T18:05:00Z"));
    let e = engine.release_entry(&scope, &e.id).unwrap();
    clock.set(ts("2026-03-10T18:10:00Z"));
    let e = engine.release_succeeded(&customer, None, &e.id, Some("PMS-1001"), None).unwrap();
    let source = e.sources[0].id.to_string();
    Fixture {
        engine,
        entry: e,
        subs: vec![("{MATTER}", matter.to_string()), ("{CLIENT}", client.to_string()), ("{CODE}", code.id.to_string()), ("{SOURCE}", source)],
    }
}

fn expected(f: &Fixture, text: &str) -> serde_json::Value {
    let mut t = text.to_string();
    for (k, v) in &f.subs {
        t = t.replace(k, v);
    }
    serde_json::from_str(&t).unwrap()
}

const INITIATIVE_PROPS: &str = r#"{"type": "pms", "tags": [], "initiative": {"type": "pms", "_id": "{MATTER}", "billingType": "billable", "unitIncrements": 360,
  "externalId": "M-1", "name": "Acme v. Widget", "description": "Contract dispute",
  "client": {"_id": "{CLIENT}", "externalId": "CL-1", "name": "Acme Holdings", "callSign": "ACME"}}}"#;

pub fn full_shape(backend: &dyn Backend) {
    let f = fixture(backend);
    let text = r#"{
      "_id": "0000000000000000000000e1", "customerId": "00000000000000000000000c", "userId": "00000000000000000000000a",
      "statusInfo": {"status": "release-succeeded"}, "creationMethod": "grouped", "createdAsTimer": false, "workDate": "2026-03-10",
      "isLocked": true, "summary": "Reviewed the contract", "unitIncrementCountFromSources": 2, "unitIncrementCountAdjustments": 0,
      "incrementDurationInSeconds": 720, "initiativeProps": INITIATIVE_PROPS,
      "workCodes": [{"_id": "{CODE}", "externalId": "L110", "codeTypeExternalId": "task", "name": "Fact investigation", "assignedBy": "user"}],
      "externalId": "PMS-1001", "createdAt": "2026-03-10T18:00:00Z", "updatedAt": "2026-03-10T18:10:00Z", "hasOverlap": false,
      "overlapTimeInSeconds": 0, "isDeleted": false, "notes": "Clause 7 needs a second look", "releaseCount": 1,
      "lastSyncedAt": "2026-03-10T18:10:00Z", "timerDurationAdjustmentInSeconds": 0,
      "sources": [{"_id": "{SOURCE}", "kind": "document", "startedAt": "2026-03-10T09:00:00Z", "endedAt": "2026-03-10T09:07:00.500Z", "title": "contract.docx"}]
    }"#
    .replace("INITIATIVE_PROPS", INITIATIVE_PROPS);
    assert_eq!(f.entry.to_full_json(), expected(&f, &text));
}

pub fn flat_shape(backend: &dyn Backend) {
    let f = fixture(backend);
    let text = r#"{
      "entryId": "0000000000000000000000e1", "externalId": "PMS-1001", "customerId": "00000000000000000000000c", "userId": "00000000000000000000000a",
      "creationMethod": "grouped", "releasedBy": "00000000000000000000000a", "createdBy": "00000000000000000000000a", "workDate": "2026-03-10",
      "createdAt": "2026-03-10T18:00:00Z", "updatedAt": "2026-03-10T18:10:00Z", "initiativeExternalId": "M-1", "clientExternalId": "CL-1",
      "summary": "Reviewed the contract", "unitIncrementCount": 2, "incrementDurationInSeconds": 720,
      "lastReleasePendingAt": "2026-03-10T18:05:00Z", "releaseSuccessAt": "2026-03-10T18:10:00Z", "isDeleted": false,
      "notes": "Clause 7 needs a second look", "releaseCount": 1, "lastSyncedAt": "2026-03-10T18:10:00Z",
      "codes": [{"codeExternalId": "L110", "codeTypeExternalId": "task"}]
    }"#;
    assert_eq!(f.entry.to_flat_json(), expected(&f, text));
}

pub fn export_item_and_csv(backend: &dyn Backend) {
    let f = fixture(backend);
    let text = r#"{
      "_id": "0000000000000000000000e1", "customerId": "00000000000000000000000c", "userId": "00000000000000000000000a", "workDate": "2026-03-10",
      "summary": "Reviewed the contract", "unitIncrementCount": 2, "incrementDurationInSeconds": 720, "initiativeProps": INITIATIVE_PROPS,
      "externalId": "PMS-1001", "notes": "Clause 7 needs a second look", "releaseCount": 1, "lastSyncedAt": "2026-03-10T18:10:00Z"
    }"#
    .replace("INITIATIVE_PROPS", INITIATIVE_PROPS);
    assert_eq!(f.entry.to_export_json(), expected(&f, &text));
    let window = Window::new(ts("2026-03-10T00:00:00Z"), ts("2026-03-10T18:05:00Z")).unwrap();
    let mut csv = Vec::new();
    let rows = f.engine.export_csv(&oid(0xc), window, &mut csv).unwrap();
    assert_eq!(rows, 1);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(
        csv,
        "_id,customerId,userId,workDate,clientExternalId,initiativeExternalId,initiativeName,summary,notes,codes,unitIncrementCount,unitIncrements,incrementDurationInSeconds,hours,externalId,releaseCount\r\n\
         0000000000000000000000e1,00000000000000000000000c,00000000000000000000000a,2026-03-10,CL-1,M-1,Acme v. Widget,Reviewed the contract,Clause 7 needs a second look,task:L110,2,360,720,0.2,PMS-1001,1\r\n"
    );
}

pub fn absent_optional_fields_are_omitted_and_failures_are_tagged(backend: &dyn Backend) {
    let (engine, _clock) = open_at(backend, "2026-03-10T18:00:00Z");
    let scope = Scope::new(oid(1), oid(2));
    let (e, _) = engine.create_entry(&scope, &NewEntry { id: Some(oid(0xe2)), duration_in_seconds: Some(0), ..Default::default() }).unwrap();
    let json = e.to_full_json();
    for absent in ["externalId", "notes", "lastSyncedAt", "initiativeProps", "enrichmentCorrelationId"] {
        assert!(json.get(absent).is_none(), "{absent} should be omitted: {json}");
    }
    assert_eq!(
        json["statusInfo"],
        serde_json::json!({"status": "validation-failed", "validationFailedErrors": [
            {"rule": "initiative", "title": "No matter", "description": "Assign the entry to a matter."},
            {"rule": "summary", "title": "Summary required", "description": "Write a narrative for the entry."},
            {"rule": "zero-increment", "title": "No time", "description": "The entry bills zero units."}
        ]})
    );
    let flat = e.to_flat_json();
    for absent in ["externalId", "releasedBy", "initiativeExternalId", "clientExternalId", "lastReleasePendingAt", "releaseSuccessAt"] {
        assert!(flat.get(absent).is_none(), "{absent} should be omitted: {flat}");
    }
}
