//! Bad input at the wire: request bodies with unknown fields, bad ids or bad numbers are refused
//! by parsing alone, before any engine sees them. (Bad values through every engine method run in
//! the conformance harness: `bad_input::engine_methods_refuse_bad_values_and_change_nothing`.)

use tenths::*;

#[test]
fn wire_inputs_refuse_unknown_fields_bad_ids_and_bad_numbers() {
    let bad: [(&str, &str); 9] = [
        (r#"{"summary": "x", "sumary": "typo"}"#, "unknown field"),
        (r#"{"unitIncrementCountAdjustments": 2.5}"#, "whole number"),
        (r#"{"unitIncrementCountAdjustments": 1e300}"#, "in range"),
        (r#"{"unitIncrementCountAdjustments": "2"}"#, "number"),
        (r#"{"initiativeId": "not-an-id"}"#, "24-character"),
        (r#"{"codeIds": ["62f6ba1e3c0a4b0012345abz"]}"#, "24-character"),
        (r#"{"workDate": "2022-02-30"}"#, "date"),
        (r#"{"workDate": "2022-08-12T00:00:00Z"}"#, "date"),
        (r#"{"timerDurationAdjustmentInSeconds": null, "x": 1}"#, "unknown field"),
    ];
    for (body, why) in bad {
        let err = serde_json::from_str::<EntryPatch>(body).unwrap_err().to_string();
        assert!(err.contains(why), "{body}: {err}");
    }
    let ok: EntryPatch = serde_json::from_str(r#"{"unitIncrementCountAdjustments": 2.0, "initiativeId": "62F6BA1E3C0A4B0012345ABC"}"#).unwrap();
    assert_eq!(ok.unit_increment_count_adjustments, Some(2));
    assert_eq!(ok.initiative_id.unwrap().as_str(), "62f6ba1e3c0a4b0012345abc");
    assert!(serde_json::from_str::<NewEntry>(
        r#"{"sources": [{"kind": "telepathy", "startedAt": "2026-03-10T09:00:00Z", "endedAt": "2026-03-10T09:10:00Z"}]}"#
    )
    .is_err());
    assert!(serde_json::from_str::<NewEntry>(r#"{"sources": [{"kind": "call", "startedAt": "yesterday", "endedAt": "2026-03-10T09:10:00Z"}]}"#).is_err());
    assert!(serde_json::from_str::<InitiativeInput>(r#"{"externalId": "M", "name": "M", "billingType": "free", "unitIncrements": 360}"#).is_err());
}
