// XCTest suite of the Swift binding (module `Tenths`), for a macOS CI (`swift test`, see
// bindings-kotlin/README.md "Swift"). It exercises the same surface as the Kotlin suite: value
// types, typed errors, pages, the change observer (re-entrant and throwing), threads, use after
// close. On Linux CI this file is only parsed (scripts/test-kotlin), as no Swift compiler exists there.

import Foundation
import XCTest

@testable import Tenths

private let customer = "c00000000000000000000001"
private let otherCustomer = "c00000000000000000000002"
private let aliceId = "a00000000000000000000001"
private let bobId = "b00000000000000000000002"
private let now = "2026-03-10T12:00:00Z"
private let today = "2026-03-10"
private let wideAfter = "1970-01-01T00:00:00Z"
private let wideOnOrBefore = "9999-12-31T23:59:59.999Z"
private let alice = Scope(customerId: customer, userId: aliceId)
private let bob = Scope(customerId: customer, userId: bobId)

private func entryId(_ n: Int) -> String {
    let hex = String(n, radix: 16)
    return "e" + String(repeating: "0", count: 23 - hex.count) + hex
}

private func memoryEngine() throws -> Engine {
    try Engine(path: ":memory:", options: EngineOptions(fixedClock: now))
}

private func seedMatter(_ engine: Engine) throws -> String {
    _ = try engine.upsertClient(customerId: customer, input: ClientInput(externalId: "CL-1", name: "Acme Holdings", callSign: "ACME"))
    let matter = try engine.upsertInitiative(
        customerId: customer,
        input: InitiativeInput(externalId: "M-1", name: "Acme v. Widget", billingType: .billable, unitIncrements: 360, clientExternalId: "CL-1")
    )
    return matter.id
}

@discardableResult
private func readyEntry(_ engine: Engine, _ matter: String, _ n: Int, scope: Scope = alice) throws -> Entry {
    try engine.createEntry(scope: scope, input: NewEntry(id: entryId(n), initiativeId: matter, summary: "Drafted motion \(n)", durationInSeconds: 420)).entry
}

/// Records every change; optionally runs `onEach` (which may call the engine, or throw).
private final class Recorder: ChangeObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Change] = []
    private let onEach: (Change) throws -> Void

    init(onEach: @escaping (Change) throws -> Void = { _ in }) {
        self.onEach = onEach
    }

    var changes: [Change] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func onChange(change: Change) throws {
        lock.lock()
        recorded.append(change)
        lock.unlock()
        try onEach(change)
    }
}

private struct HostFailure: Error, CustomStringConvertible {
    let description: String
}

/// The app's sync transport: here a server engine in the same process, signed in as Alice.
private final class InProcessTransport: SyncTransport, @unchecked Sendable {
    let server: Engine

    init(server: Engine) {
        self.server = server
    }

    func send(request: HttpRequest) throws -> HttpResponse {
        let principal = Principal(customerId: customer, userId: aliceId, role: .user)
        return try server.request(
            request: HttpRequest(method: request.method, path: request.path, headers: request.headers, body: request.body, principal: principal)
        )
    }
}

final class TenthsTests: XCTestCase {
    func testEntryIsATypedValueWithTheCoresDerivedFields() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        let created = try engine.createEntry(
            scope: alice,
            input: NewEntry(id: entryId(1), initiativeId: matter, summary: "Drafted motion", notes: "first draft", durationInSeconds: 420)
        )
        XCTAssertTrue(created.created)
        let e = created.entry
        XCTAssertEqual(e.status, .validationSucceeded)
        XCTAssertEqual(e.unitIncrementCount, 2)
        XCTAssertEqual(e.incrementDurationInSeconds, 720)
        XCTAssertEqual(e.workDate, today)
        XCTAssertEqual(e.createdAt, now)
        XCTAssertEqual(e.initiative?.client?.externalId, "CL-1")
        XCTAssertEqual(e.notes, "first draft")

        let again = try engine.createEntry(
            scope: alice,
            input: NewEntry(id: entryId(1), initiativeId: matter, summary: "Drafted motion", notes: "first draft", durationInSeconds: 420)
        )
        XCTAssertFalse(again.created)
        XCTAssertEqual(again.entry, e)
        XCTAssertEqual(try engine.getEntry(scope: alice, entryId: entryId(1)), e)

        let json = try e.toJson(shape: .flat)
        XCTAssertTrue(json.contains("\"entryId\":\"\(entryId(1))\""), json)
    }

    func testReleaseLifecycle() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        try readyEntry(engine, matter, 1)
        let released = try engine.releaseEntry(scope: alice, entryId: entryId(1))
        XCTAssertEqual(released.status, .releasePending)
        XCTAssertTrue(released.isLocked)

        let export = try engine.exportReleasedPage(customerId: customer, releasedAfter: wideAfter, releasedOnOrBefore: wideOnOrBefore)
        XCTAssertEqual(export.entries.map { $0.id }, [entryId(1)])
        XCTAssertNil(export.nextCursor)

        let done = try engine.releaseSucceeded(customerId: customer, entryId: entryId(1), externalId: "PMS-1")
        XCTAssertEqual(done.status, .releaseSucceeded)
        XCTAssertEqual(done.externalId, "PMS-1")

        let back = try engine.unrelease(scope: alice, entryId: entryId(1))
        XCTAssertEqual(back.status, .validationSucceeded)
        let day = try engine.releaseDay(scope: alice, workDate: today, mode: .readySubset)
        XCTAssertEqual(day.released, [entryId(1)])
    }

    func testPagesWalkTheWindowWithoutGapsOrRepeats() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        let inputs = (1...250).map { n in
            NewEntry(id: entryId(n), initiativeId: matter, summary: "Task \(n)", durationInSeconds: Int64(60 + n))
        }
        let ids = try engine.importEntries(scope: alice, inputs: inputs)
        XCTAssertEqual(ids.count, 250)

        var seen: [String] = []
        var cursor: String? = nil
        var pages = 0
        repeat {
            let page = try engine.listUpdatedPage(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: wideOnOrBefore, pageSize: 100, cursor: cursor)
            pages += 1
            seen += page.entries.map { $0.id }
            cursor = page.nextCursor
        } while cursor != nil
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(seen, ids.sorted())
    }

    func testErrorsAreTypedAndNameTheField() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)

        XCTAssertThrowsError(try engine.createEntry(scope: alice, input: NewEntry(id: "xyz"))) { error in
            guard case let TenthsError.InvalidArgument(field, reason) = error else {
                return XCTFail("expected InvalidArgument, got \(error)")
            }
            XCTAssertEqual(field, "_id")
            XCTAssertFalse(reason.isEmpty)
            XCTAssertEqual((error as? TenthsError)?.code(), "invalid_argument")
        }
        XCTAssertThrowsError(
            try engine.createEntry(
                scope: alice,
                input: NewEntry(sources: [SourceInput(kind: .call, startedAt: "2026-03-10T10:00:00Z", endedAt: "2026-03-10T09:00:00Z")])
            )
        ) { error in
            guard case let TenthsError.InvalidArgument(field, _) = error else {
                return XCTFail("expected InvalidArgument, got \(error)")
            }
            XCTAssertEqual(field, "sources[0].endedAt")
        }
        XCTAssertThrowsError(try engine.getEntry(scope: alice, entryId: entryId(9))) { error in
            guard case TenthsError.NotFound(what: "entry", id: entryId(9)) = error else {
                return XCTFail("expected NotFound, got \(error)")
            }
        }
        XCTAssertThrowsError(try engine.getEntry(scope: Scope(customerId: otherCustomer, userId: aliceId), entryId: entryId(9))) { error in
            XCTAssertEqual((error as? TenthsError)?.code(), "not_found")
        }

        try readyEntry(engine, matter, 1)
        XCTAssertThrowsError(try engine.createEntry(scope: alice, input: NewEntry(id: entryId(1), summary: "another body"))) { error in
            guard case TenthsError.Conflict = error else { return XCTFail("expected Conflict, got \(error)") }
        }
        _ = try engine.releaseEntry(scope: alice, entryId: entryId(1))
        XCTAssertThrowsError(try engine.editEntry(scope: alice, entryId: entryId(1), patch: EntryPatch(summary: "late"))) { error in
            guard case TenthsError.Locked = error else { return XCTFail("expected Locked, got \(error)") }
        }
        _ = try engine.createEntry(scope: alice, input: NewEntry(id: entryId(2), initiativeId: matter, summary: "", durationInSeconds: 0))
        XCTAssertThrowsError(try engine.releaseEntry(scope: alice, entryId: entryId(2))) { error in
            guard case let TenthsError.ValidationFailed(failures) = error else {
                return XCTFail("expected ValidationFailed, got \(error)")
            }
            XCTAssertEqual(failures.map { $0.rule }, ["summary", "zero-increment"])
        }
        XCTAssertThrowsError(
            try engine.releaseSucceededBatch(customerId: customer, items: (1...1001).map { ReleaseSucceededItem(entryId: entryId($0)) })
        ) { error in
            guard case TenthsError.TooLarge = error else { return XCTFail("expected TooLarge, got \(error)") }
        }
    }

    func testBadInputIsATypedErrorNeverACrash() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        try readyEntry(engine, matter, 1)
        let before = try engine.listUpdated(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: wideOnOrBefore)
        let attempts: [(String, () throws -> Void)] = [
            ("entryId", { _ = try engine.getEntry(scope: alice, entryId: "") }),
            ("customerId", { _ = try engine.getEntry(scope: Scope(customerId: "", userId: aliceId), entryId: entryId(1)) }),
            ("durationInSeconds", { _ = try engine.createEntry(scope: alice, input: NewEntry(id: entryId(2), durationInSeconds: Int64.max)) }),
            ("unitIncrementCountAdjustments", { _ = try engine.overrideEntry(scope: alice, entryId: entryId(1), input: OverrideInput(unitIncrementCountAdjustments: Int64.min)) }),
            ("summary", { _ = try engine.editEntry(scope: alice, entryId: entryId(1), patch: EntryPatch(summary: String(repeating: "x", count: 10_001))) }),
            ("notes", { _ = try engine.editEntry(scope: alice, entryId: entryId(1), patch: EntryPatch(notes: "a\u{0}b")) }),
            ("pageSize", { _ = try engine.listUpdatedPage(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: now, pageSize: Int32.min) }),
        ]
        for (expected, attempt) in attempts {
            XCTAssertThrowsError(try attempt()) { error in
                guard case let TenthsError.InvalidArgument(field, _) = error else {
                    return XCTFail("expected InvalidArgument(\(expected)), got \(error)")
                }
                XCTAssertEqual(field, expected)
            }
        }
        let after = try engine.listUpdated(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: wideOnOrBefore)
        XCTAssertEqual(before, after)
    }

    func testObserverHearsCommittedWritesAndMayReenter() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        var statuses: [EntryStatus] = []
        let recorder = Recorder { change in
            for id in change.entryIds {
                // Re-entrant read: no engine lock is held while the observer runs.
                statuses.append(try engine.getEntry(scope: alice, entryId: id).status)
            }
        }
        engine.setObserver(observer: recorder)
        try readyEntry(engine, matter, 1)
        _ = try engine.releaseEntry(scope: alice, entryId: entryId(1))
        XCTAssertEqual(recorder.changes.map { $0.operation }, ["createEntry", "releaseEntry"])
        XCTAssertEqual(recorder.changes.first?.kind, .entries)
        XCTAssertEqual(statuses, [.validationSucceeded, .releasePending])
        XCTAssertNil(engine.takeObserverFailure())
    }

    func testThrowingObserverNeverFailsTheWrite() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        engine.setObserver(observer: Recorder { _ in throw HostFailure(description: "the UI is gone") })
        let e = try readyEntry(engine, matter, 1)
        XCTAssertEqual(try engine.getEntry(scope: alice, entryId: entryId(1)), e)
        let failure = try XCTUnwrap(engine.takeObserverFailure())
        XCTAssertTrue(failure.hasPrefix("host callback failed"), failure)
        XCTAssertNil(engine.takeObserverFailure())

        engine.setObserver(observer: Recorder { _ in throw TenthsError.Conflict(reason: "refused by the host") })
        _ = try engine.editEntry(scope: alice, entryId: entryId(1), patch: EntryPatch(summary: "Revised"))
        XCTAssertEqual(engine.takeObserverFailure(), "conflict: refused by the host")
        XCTAssertEqual(try engine.getEntry(scope: alice, entryId: entryId(1)).summary, "Revised")
    }

    func testSeveralThreadsShareOneEngine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tenths-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try Engine(path: dir.appendingPathComponent("shared.sqlite").path, options: EngineOptions(durability: .normal, fixedClock: now))
        let matter = try seedMatter(engine)
        let threads = 8
        let perThread = 25
        let failures = NSLock()
        var errors: [Error] = []
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let scope = t % 2 == 0 ? alice : bob
            for i in 0..<perThread {
                do {
                    let e = try readyEntry(engine, matter, t * 1000 + i + 1, scope: scope)
                    if i % 5 == 0 { _ = try engine.releaseEntry(scope: scope, entryId: e.id) }
                    _ = try engine.listUpdatedPage(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: wideOnOrBefore, pageSize: 20)
                } catch {
                    failures.lock()
                    errors.append(error)
                    failures.unlock()
                }
            }
        }
        XCTAssertTrue(errors.isEmpty, "\(errors)")
        let all = try engine.listUpdated(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: wideOnOrBefore)
        XCTAssertEqual(all.count, threads * perThread)
        XCTAssertEqual(Set(all.map { $0.id }).count, threads * perThread)
    }

    func testUseAfterCloseIsClosedEveryTime() throws {
        let engine = try memoryEngine()
        let matter = try seedMatter(engine)
        try readyEntry(engine, matter, 1)
        try engine.closeDatabase()
        try engine.closeDatabase() // twice is fine
        XCTAssertTrue(engine.isClosed())
        let calls: [() throws -> Void] = [
            { _ = try engine.getEntry(scope: alice, entryId: entryId(1)) },
            { _ = try engine.createEntry(scope: alice, input: NewEntry(summary: "late")) },
            { _ = try engine.releaseEntry(scope: alice, entryId: entryId(1)) },
            { _ = try engine.listUpdatedPage(customerId: customer, updatedAfter: wideAfter, updatedOnOrBefore: wideOnOrBefore) },
            { _ = try engine.customerSettings(customerId: customer) },
            { _ = try engine.totals(customerId: customer, workDateFrom: today, workDateTo: today) },
        ]
        for call in calls {
            XCTAssertThrowsError(try call()) { error in
                guard case TenthsError.Closed = error else { return XCTFail("expected Closed, got \(error)") }
            }
        }
        let principal = Principal(customerId: customer, userId: aliceId, role: .user)
        let response = try engine.request(
            request: HttpRequest(method: "GET", path: "/api/v1/public/customers/\(customer)/users/\(aliceId)/entries/\(entryId(1))", principal: principal)
        )
        XCTAssertEqual(response.status, 503)
    }

    func testFreeFunctions() throws {
        XCTAssertEqual(try unitsFromRaw(rawSeconds: 420, unitIncrements: 360), 2)
        XCTAssertEqual(try unitsFromRaw(rawSeconds: 420, unitIncrements: 360, rounding: .nearest), 1)
        let id = newObjectId()
        XCTAssertEqual(id.count, 24)
        XCTAssertEqual(try parseObjectId(value: id.uppercased()), id)
        XCTAssertFalse(engineVersion().isEmpty)
    }

    func testSyncMovesAnEntryToTheServerAndAChangeBack() throws {
        let server = try memoryEngine()
        let device = try memoryEngine()
        let matter = try seedMatter(server)
        let transport = InProcessTransport(server: server)
        _ = try device.sync(transport: transport, customerId: customer, userId: aliceId)
        try readyEntry(device, matter, 1)
        XCTAssertEqual(try device.syncStatus(customerId: customer, userId: aliceId).pending, 1)
        let report = try device.sync(transport: transport, customerId: customer, userId: aliceId)
        XCTAssertEqual(report.applied, 1)
        XCTAssertEqual(try server.getEntry(scope: alice, entryId: entryId(1)).summary, "Drafted motion 1")
        _ = try server.editEntry(scope: alice, entryId: entryId(1), patch: EntryPatch(notes: "From the web"))
        _ = try device.sync(transport: transport, customerId: customer, userId: aliceId)
        XCTAssertEqual(try device.getEntry(scope: alice, entryId: entryId(1)).notes, "From the web")
        XCTAssertNil(try device.syncStatus(customerId: customer, userId: aliceId).lastError)
        XCTAssertEqual(try device.syncConflicts(customerId: customer), [])
        XCTAssertEqual(try device.syncQuarantined(customerId: customer), [])
    }
}
