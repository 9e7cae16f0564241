"""The Python runner of the language-neutral scenario vectors in ``tests/vectors/*.json``.

It mirrors the Rust runner (``tests/src/vectors.rs``; format in ``tests/vectors/README.md``) but
drives the Python API: each op calls one method of ``tenths.Engine`` with the step's wire-named
``args`` turned into keyword arguments (``unitIncrementCountAdjustments`` ->
``unit_increment_count_adjustments``, ``_id`` -> ``id``, ``type`` -> ``kind``). Values are passed as
JSON gives them (ids, dates and date-times as strings, counts as numbers), so the binding's own
conversions and the core's parsers refuse bad input exactly as the HTTP API does. Python refuses
unknown or missing keyword arguments itself; the runner reads the method's signature to report
those as the vectors name them: ``invalid_argument`` naming the wire field.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import tenths

REPO = Path(__file__).resolve().parents[2]
VECTOR_DIR = Path(os.environ.get("TENTHS_VECTOR_DIR", str(REPO / "tests" / "vectors")))

VECTOR_KEYS = {"name", "description", "covers", "now", "customerId", "userId", "vars", "steps"}
REQUIRED_VECTOR_KEYS = {"name", "description", "now", "customerId", "steps"}
STEP_KEYS = {"op", "note", "customerId", "userId", "actorId", "entryId", "args", "save", "expect"}
CONTROL_KEYS = {"error", "field", "rules", "storeUnchanged"}
REFERENCE = re.compile(r"^\$[A-Za-z0-9_]+$")
NO_ARG_OPS = {"getEntry", "deleteEntry", "release", "unrelease", "stopTimer", "resumeTimer", "entryHistory"}
WIDE_AFTER = "1970-01-01T00:00:00Z"
WIDE_ON_OR_BEFORE = "9999-12-31T23:59:59.999Z"


class Malformed(Exception):
    """The vector itself is wrong (always a failure)."""


class OpError(Exception):
    """The error of an operation, as the vectors name it."""

    def __init__(self, code: str, field: Optional[str] = None, rules: Optional[List[str]] = None, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.rules: List[str] = list(rules or [])
        self.message = message

    def __str__(self) -> str:
        out = self.code
        if self.field is not None:
            out += f" (field {self.field})"
        if self.rules:
            out += f" rules {self.rules}"
        return f"{out}: {self.message}"

    @staticmethod
    def of(e: tenths.TenthsError) -> "OpError":
        return OpError(e.code, e.field, [f.rule for f in e.errors], str(e))


class VectorFailure(AssertionError):
    """Why a vector failed: the file, the step and each problem on its own line."""

    def __init__(self, file: Path, step: Optional[int], op: str, problems: Sequence[str]) -> None:
        head = f"{file.name}: step {step} ({op})" if step is not None else file.name
        super().__init__("\n    ".join([head, *problems]))


# ----- matching ------------------------------------------------------------------------------


def _show(v: Any) -> str:
    s = json.dumps(v, sort_keys=True, default=str)
    return s if len(s) <= 400 else s[:400] + "…"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def subset_diff(expected: Any, actual: Any, path: str = "") -> List[str]:
    """Subset match (README "Matching is a subset match"); one line per difference."""
    out: List[str] = []
    here = path or "(root)"
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k, ev in expected.items():
            p = f"{path}.{k}" if path else k
            if ev is None:
                if actual.get(k) is not None:
                    out.append(f"{p}: expected absent, got {_show(actual[k])}")
            elif k not in actual:
                out.append(f"{p}: expected {_show(ev)}, but the key is absent")
            else:
                out.extend(subset_diff(ev, actual[k], p))
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            out.append(f"{here}: expected {len(expected)} items, got {len(actual)}: expected {_show(expected)}, got {_show(actual)}")
        else:
            for i, (ev, av) in enumerate(zip(expected, actual)):
                out.extend(subset_diff(ev, av, f"{path}[{i}]"))
    elif _is_number(expected) and _is_number(actual):
        if expected != actual:
            out.append(f"{here}: expected {expected}, got {actual}")
    elif type(expected) is not type(actual) or expected != actual:
        out.append(f"{here}: expected {_show(expected)}, got {_show(actual)}")
    return out


def exact_diff(before: Any, after: Any, path: str = "") -> List[str]:
    """Full structural difference of two snapshots."""
    out: List[str] = []
    if isinstance(before, dict) and isinstance(after, dict):
        for k in sorted(set(before) | set(after)):
            p = f"{path}.{k}" if path else k
            if k not in after:
                out.append(f"{p}: was {_show(before[k])}, now absent")
            elif k not in before:
                out.append(f"{p}: was absent, now {_show(after[k])}")
            else:
                out.extend(exact_diff(before[k], after[k], p))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (x, y) in enumerate(zip(before, after)):
            out.extend(exact_diff(x, y, f"{path}[{i}]"))
    elif before != after or type(before) is not type(after):
        out.append(f"{path}: was {_show(before)}, now {_show(after)}")
    return out


def substitute(v: Any, variables: Mapping[str, Any]) -> Any:
    """Replaces every string ``$name`` inside ``v`` by the named value."""
    if isinstance(v, str) and REFERENCE.match(v):
        if v[1:] not in variables:
            raise Malformed(f"unknown reference {v}")
        return variables[v[1:]]
    if isinstance(v, list):
        return [substitute(x, variables) for x in v]
    if isinstance(v, dict):
        return {k: substitute(x, variables) for k, x in v.items()}
    return v


def lookup(v: Any, path: str) -> Tuple[bool, Any]:
    """Follows a dot path (``entry._id``, ``entries.0.entryId``) into a value."""
    cur = v
    if path == "":
        return True, cur
    for seg in path.split("."):
        if isinstance(cur, dict) and seg in cur:
            cur = cur[seg]
        elif isinstance(cur, list) and seg.isdigit() and int(seg) < len(cur):
            cur = cur[int(seg)]
        else:
            return False, None
    return True, cur


# ----- arguments -----------------------------------------------------------------------------


def to_snake(wire: str) -> str:
    if wire == "_id":
        return "id"
    if wire == "type":
        return "kind"
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), wire)


def to_wire(name: str) -> str:
    if name == "id":
        return "_id"
    if name == "kind":
        return "type"
    first, *rest = name.split("_")
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


def call_with_args(
    fn: Callable[..., Any],
    positional: Sequence[Any],
    args: Any,
    renames: Optional[Mapping[str, str]] = None,
    extra: Optional[Mapping[str, Any]] = None,
) -> Any:
    """Calls ``fn(*positional, **kwargs)`` with the wire ``args`` as keyword arguments. The
    parameters after the positional ones (minus ``extra``) are the body: an unknown key, or a
    missing required parameter, is ``invalid_argument`` naming the wire field, as a JSON API
    refuses it."""
    renames = dict(renames or {})
    extra = dict(extra or {})
    if not isinstance(args, dict):
        raise OpError("invalid_argument", "body", message="expected an object")
    params = list(inspect.signature(fn).parameters.values())[len(positional) :]
    body = {p.name: p for p in params if p.name not in extra and p.name not in ("actor_id",)}
    wire_of = {py: wire for wire, py in renames.items()}
    kwargs: Dict[str, Any] = {}
    for key, value in args.items():
        name = renames.get(key, to_snake(key))
        if name not in body or to_wire(name) != key and key not in renames:
            raise OpError("invalid_argument", key, message=f"unknown field `{key}`")
        kwargs[name] = value
    for p in body.values():
        if p.default is inspect.Parameter.empty and p.name not in kwargs:
            wire = wire_of.get(p.name, to_wire(p.name))
            raise OpError("invalid_argument", wire, message=f"missing field `{wire}`")
    return fn(*positional, **kwargs, **extra)


def entry_result(e: tenths.Entry) -> Dict[str, Any]:
    return {"entry": e.to_dict(), "flat": e.to_flat_dict()}


def ids_and(entries: Sequence[tenths.Entry], shape: Callable[[tenths.Entry], Any], page: Optional[tenths.Page] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"ids": [e.id for e in entries], "entries": [shape(e) for e in entries]}
    if page is not None and page.next_cursor is not None:
        out["nextCursor"] = page.next_cursor
    return out


def _full(e: tenths.Entry) -> Any:
    return e.to_dict()


def _flat(e: tenths.Entry) -> Any:
    return e.to_flat_dict()


def _export(e: tenths.Entry) -> Any:
    return e.to_export_dict()


# ----- the runner ----------------------------------------------------------------------------


def discover(directory: Path = VECTOR_DIR) -> List[Path]:
    return sorted(p for p in directory.glob("*.json") if p.is_file())


def load(path: Path) -> Dict[str, Any]:
    try:
        v = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise VectorFailure(path, None, "", [f"not a valid vector: {e}"]) from None
    if not isinstance(v, dict):
        raise VectorFailure(path, None, "", ["a vector is a JSON object"])
    problems = [f"unknown key {k!r}" for k in v if k not in VECTOR_KEYS]
    problems += [f"missing key {k!r}" for k in sorted(REQUIRED_VECTOR_KEYS - set(v))]
    if not problems and v["name"] != path.stem:
        problems.append(f"name {v['name']!r} differs from the file name {path.stem!r}")
    if not problems and (not isinstance(v["steps"], list) or not v["steps"]):
        problems.append("a vector needs at least one step")
    for i, step in enumerate(v.get("steps") or []):
        if not isinstance(step, dict) or "op" not in step:
            problems.append(f"step {i}: a step is an object with an op")
        else:
            problems += [f"step {i}: unknown key {k!r}" for k in step if k not in STEP_KEYS]
    if problems:
        raise VectorFailure(path, None, "", problems)
    return v


def run_file(path: Path) -> None:
    """Loads and runs one vector on a fresh in-memory engine; raises VectorFailure."""
    v = load(path)
    with tenths.Engine(":memory:", now=v["now"]) as engine:
        runner = Runner(engine, v)
        for i, step in enumerate(v["steps"]):
            problems = runner.step(step)
            if problems:
                raise VectorFailure(path, i, step.get("op", ""), problems)


class Runner:
    def __init__(self, engine: tenths.Engine, vector: Mapping[str, Any]) -> None:
        self.engine = engine
        self.customer: Any = vector["customerId"]
        self.user: Any = vector.get("userId")
        self.vars: Dict[str, Any] = dict(vector.get("vars") or {})
        self.customers: Set[str] = {tenths.parse_object_id(self.customer)}
        self.users: Set[Tuple[str, str]] = set()

    # --- one step

    def step(self, step: Mapping[str, Any]) -> List[str]:
        try:
            s = {k: substitute(x, self.vars) for k, x in step.items() if k not in ("save", "note")}
        except Malformed as e:
            return [f"malformed step: {e}"]
        expect: Dict[str, Any] = s.get("expect") or {}
        if "storeUnchanged" in expect and not isinstance(expect["storeUnchanged"], bool):
            return ["expect.storeUnchanged must be a boolean"]
        user = s.get("userId", self.user)
        customer = s.get("customerId", self.customer)
        try:
            c = tenths.parse_object_id(customer)
            self.customers.add(c)
            if user is not None:
                self.users.add((c, tenths.parse_object_id(user)))
        except (tenths.TenthsError, TypeError):
            pass

        wants_error = "error" in expect
        check_store = wants_error or expect.get("storeUnchanged") is True
        before = self.snapshot() if check_store else None
        problems: List[str] = []
        result: Any = None
        try:
            result = self.exec(s["op"], s.get("args", {}), customer, user, s.get("entryId"), s.get("actorId"))
        except Malformed as e:
            return [f"malformed step: {e}"]
        except tenths.TenthsError as e:
            err = OpError.of(e)
            result = err
        except OpError as e:
            err = e
            result = e
        if isinstance(result, OpError):
            err = result
            if "error" not in expect:
                problems.append(f"unexpected error {err}")
            elif expect["error"] != err.code:
                problems.append(f"error: expected {expect['error']}, got {err}")
            if "field" in expect and expect["field"] != err.field:
                problems.append(f"field: expected {expect['field']!r}, got {err.field!r} ({err})")
            if "rules" in expect:
                problems += [f"rules: {d}" for d in subset_diff(expect["rules"], err.rules)]
            result_keys = [k for k in expect if k not in CONTROL_KEYS]
            if result_keys:
                problems.append(f"expected result keys {result_keys}, but the operation failed")
            result = None
        else:
            if wants_error:
                problems.append(f"expected error {expect['error']}, but the operation succeeded with {_show(result)}")
            if "field" in expect and not wants_error:
                problems.append("expect.field needs expect.error")
            if "rules" in expect:
                ok, errs = lookup(result, "entry.statusInfo.validationFailedErrors")
                got = [f.get("rule") for f in errs] if ok and isinstance(errs, list) else []
                problems += [f"rules: {d}" for d in subset_diff(expect["rules"], got)]
            subset = {k: x for k, x in expect.items() if k not in CONTROL_KEYS}
            problems += subset_diff(subset, result)
        if before is not None:
            changes = exact_diff(before, self.snapshot())
            if changes:
                problems.append("the store changed although it must not:")
                problems += [f"  {c}" for c in changes[:20]]
        if problems:
            return problems
        for name, path in (step.get("save") or {}).items():
            if result is None:
                return ["`save` on a step that failed"]
            if not isinstance(path, str):
                return [f"save.{name} must be a path string"]
            ok, value = lookup(result, path)
            if not ok:
                return [f"save.{name}: no {path!r} in the result {_show(result)}"]
            self.vars[name] = value
        return []

    def snapshot(self) -> Dict[str, Any]:
        """Everything the vector can observe (README "The store is unchanged after every error")."""
        e = self.engine
        out: Dict[str, Any] = {}
        for c in sorted(self.customers):
            out[c] = {
                "settings": e.customer_settings(c).to_dict(),
                "clients": [x.to_dict() for x in e.list_clients(c)],
                "codes": [x.to_dict() for x in e.list_codes(c)],
                "initiatives": [x.to_dict() for x in e.list_initiatives(c)],
                "users": {u: e.user_settings(c, u).to_dict() for (cu, u) in sorted(self.users) if cu == c},
                "entries": {
                    x.id: {"full": x.to_dict(), "flat": x.to_flat_dict(), "export": x.to_export_dict()}
                    for x in e.list_updated(c, WIDE_AFTER, WIDE_ON_OR_BEFORE)
                },
            }
        return out

    # --- one operation

    def exec(self, op: str, args: Any, customer: Any, user: Any, entry_id: Any, actor: Any) -> Any:
        e = self.engine
        acting = {"actor_id": actor} if actor is not None else {}

        def need_user() -> Any:
            if user is None:
                raise Malformed(f"{op} needs a userId (on the step or the vector)")
            return user

        def need_entry() -> Any:
            if entry_id is None:
                raise Malformed(f"{op} needs an entryId")
            return entry_id

        if op in NO_ARG_OPS and args != {}:
            raise Malformed(f"{op} takes no args, got {_show(args)}")

        # --- the runner's own ops
        if op == "setClock":
            if not isinstance(args, dict) or set(args) != {"now"}:
                raise Malformed(f"setClock args: {_show(args)}")
            try:
                e.set_clock(args["now"])
            except tenths.TenthsError as err:
                raise Malformed(f"setClock args: {err}") from None
            return {"now": _utc(e.now())}
        if op == "advanceClock":
            if not isinstance(args, dict) or len(args) != 1 or not set(args) <= {"seconds", "millis"}:
                raise Malformed("advanceClock needs exactly one of seconds, millis")
            (unit, amount), = args.items()
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise Malformed("advanceClock: an integer is needed")
            e.advance_clock(**{unit: amount})
            return {"now": _utc(e.now())}
        if op == "unitMath":
            n = call_with_args(tenths.units_from_raw, [], args)
            return {"unitIncrementCount": n}

        # --- settings and reference data
        if op == "setCustomerSettings":
            return call_with_args(e.update_customer_settings, [customer], args).to_dict()
        if op == "setUserSettings":
            return call_with_args(e.update_user_settings, [customer, need_user()], args).to_dict()
        if op == "importClient":
            return call_with_args(e.upsert_client, [customer], args).to_dict()
        if op == "importCodeType":
            return call_with_args(e.upsert_code_type, [customer], args).to_dict()
        if op == "importCode":
            return call_with_args(e.upsert_code, [customer], args).to_dict()
        if op == "importInitiative":
            return call_with_args(e.upsert_initiative, [customer], args).to_dict()
        if op == "setInitiativeCodes":
            return call_with_args(e.set_initiative_codes, [customer], args).to_dict()
        if op == "setInitiativeAccess":
            return call_with_args(e.set_initiative_access, [customer], args).to_dict()
        if op == "setRules":
            return call_with_args(e.set_validation_rules, [customer], args).to_dict()

        # --- entries
        if op == "createEntry":
            entry, created = call_with_args(e.create_entry, [customer, need_user()], args, extra=acting)
            return {**entry_result(entry), "created": created}
        if op == "getEntry":
            return entry_result(e.get_entry(customer, need_user(), need_entry(), **acting))
        if op == "listEntries":
            found = call_with_args(e.list_entries, [customer, need_user()], args, extra=acting)
            return ids_and(found, _full)
        if op == "editEntry":
            return entry_result(call_with_args(e.edit_entry, [customer, need_user(), need_entry()], args, extra=acting))
        if op == "override":
            return entry_result(call_with_args(e.override_entry, [customer, need_user(), need_entry()], args, extra=acting))
        if op == "deleteEntry":
            return entry_result(e.delete_entry(customer, need_user(), need_entry(), **acting))
        if op == "release":
            return entry_result(e.release_entry(customer, need_user(), need_entry(), **acting))
        if op == "releaseDay":
            return call_with_args(e.release_day, [customer, need_user()], args, extra=acting).to_dict()
        if op == "releaseSucceeded":
            done = call_with_args(e.release_succeeded, [customer, need_entry()], args, extra={"user_id": user})
            return entry_result(done)
        if op == "releaseSucceededBatch":
            if isinstance(args, list):
                results = e.release_succeeded_batch(customer, args)
            else:
                results = call_with_args(e.release_succeeded_batch, [customer], args)
            return {"results": [r.to_dict() for r in results]}
        if op == "releaseFailed":
            return entry_result(call_with_args(e.release_failed, [customer, need_entry()], args, extra={"user_id": user}))
        if op == "unrelease":
            return entry_result(e.unrelease(customer, need_user(), need_entry(), **acting))

        # --- timers
        if op == "startTimer":
            return entry_result(call_with_args(e.start_timer, [customer, need_user()], args, extra=acting))
        if op == "stopTimer":
            return entry_result(e.stop_timer(customer, need_user(), need_entry(), **acting))
        if op == "resumeTimer":
            return entry_result(e.resume_timer(customer, need_user(), need_entry(), **acting))

        # --- listing, export, totals
        updated = {"updatedAfter": "after", "updatedOnOrBefore": "on_or_before"}
        released = {"releasedAfter": "after", "releasedOnOrBefore": "on_or_before"}
        if op == "listUpdated":
            return ids_and(call_with_args(e.list_updated, [customer], args, updated), _flat)
        if op == "listUpdatedPage":
            page = call_with_args(e.list_updated_page, [customer], args, updated)
            return ids_and(page.entries, _flat, page)
        if op == "exportReleased":
            return ids_and(call_with_args(e.export_released, [customer], args, released), _export)
        if op == "exportReleasedPage":
            page = call_with_args(e.export_released_page, [customer], args, released)
            return ids_and(page.entries, _export, page)
        if op == "totals":
            return {"totals": [t.to_dict() for t in call_with_args(e.totals, [customer], args)]}
        # --- the change-event log (issue 16): kind, role, operation, actor, changed fields
        if op == "entryHistory":
            page = e.entry_history(customer, need_user(), need_entry(), sees_deleted=True)
            return {
                "events": [
                    {"kind": ev.kind, "role": ev.role, "operation": ev.operation, "actorId": ev.actor_id, "fields": [c.field for c in ev.changes]}
                    for ev in page.events
                ]
            }
        raise Malformed(f"unknown op {op!r}")


def _utc(dt: Any) -> str:
    """A UTC datetime as the engine prints it (`Z`, milliseconds only when not zero)."""
    ms = dt.microsecond // 1000
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms:03d}Z" if ms else f"{base}Z"
