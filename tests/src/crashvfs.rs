//! Power-loss simulation (issue 14 item 7, docs/durability.md): a recording VFS and the disk
//! model that rebuilds what a power cut could have left.
//!
//! [`start`] registers, once per process, a VFS named `crashrec` as SQLite's default. It wraps
//! the platform VFS (`unix`), delegates every call unchanged, and for every file opened under
//! the recorded directory (the database, its `-wal`, a rollback `-journal`) appends to one
//! ordered log each write (offset and bytes), truncate and fsync, each creation and removal of a
//! directory entry, and each directory fsync (the unix VFS fsyncs the directory on the first
//! sync of a journal or WAL it created: SQLite's `UNIXFILE_DIRSYNC`, mirrored here). The `-shm`
//! index is shared memory that SQLite rebuilds from the WAL: it is not opened through `xOpen`
//! and is never part of a rebuilt image.
//!
//! [`rebuild`] turns a prefix of that log (everything before a crash point) into the files a
//! disk could hold after a power cut: for each file, everything up to its last completed fsync,
//! plus none, all, a prefix or any subset of the later writes and truncates, each kept write
//! possibly torn into an arbitrary subset of its 512-byte sectors; for each directory entry
//! created or removed since the last directory fsync, either the old or the new state.
//!
//! The unsafe code is the FFI of the VFS only: `extern "C"` callbacks that SQLite calls with
//! the pointers it owns. Each wrapped file is one allocation of `szOsFile` bytes made by
//! SQLite: our header (`RecFile`) followed by the wrapped unix file at `INNER_OFFSET`.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use rusqlite::ffi;

use crate::Rng;

/// One request to the disk, in the order SQLite made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new file (generation `gen`) got a directory entry at `path`; durable after a `DirSync`.
    Create { gen: usize, path: PathBuf },
    /// The directory entry at `path` was removed; durable after a `DirSync`.
    Delete { path: PathBuf },
    /// `data` written at `offset` of generation `gen`.
    Write { gen: usize, offset: u64, data: Vec<u8> },
    /// Generation `gen` truncated to `size` bytes.
    Truncate { gen: usize, size: u64 },
    /// fsync of generation `gen`: its writes, truncates and size so far are on disk.
    Sync { gen: usize },
    /// fsync of the directory: every creation and removal so far is on disk.
    DirSync,
}

struct Recorder {
    dir: PathBuf,
    events: Vec<Event>,
    /// The generation each path names now.
    current: BTreeMap<PathBuf, usize>,
    gens: usize,
}

static RECORDER: Mutex<Option<Recorder>> = Mutex::new(None);

fn recorder() -> MutexGuard<'static, Option<Recorder>> {
    RECORDER.lock().unwrap_or_else(|p| p.into_inner())
}

fn record(gen: Option<usize>, event: impl FnOnce(usize) -> Event) {
    if let (Some(gen), Some(rec)) = (gen, recorder().as_mut()) {
        rec.events.push(event(gen));
    }
}

/// The header of a wrapped file; the unix file follows at [`INNER_OFFSET`].
#[repr(C)]
struct RecFile {
    base: ffi::sqlite3_file,
    /// The generation this handle writes to, when its file is recorded.
    gen: Option<usize>,
    /// The unix VFS fsyncs the directory at the first sync of a journal or WAL it created.
    dir_sync_pending: bool,
}

/// Where the wrapped unix file starts (8-byte aligned, as SQLite allocates).
const INNER_OFFSET: usize = std::mem::size_of::<RecFile>().div_ceil(8) * 8;

/// The wrapped unix file of `f`.
unsafe fn inner(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    // SAFETY: `f` is an allocation of `szOsFile` = INNER_OFFSET + the unix size (see `start`).
    unsafe { f.cast::<u8>().add(INNER_OFFSET).cast() }
}

/// Calls the unix file's method `$m` on the inner file of `$f` with the other arguments.
macro_rules! delegate {
    ($f:expr, $m:ident $(, $arg:expr)*) => {{
        let inner = inner($f);
        match (*(*inner).pMethods).$m {
            Some(m) => m(inner $(, $arg)*),
            None => ffi::SQLITE_IOERR,
        }
    }};
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { delegate!(f, xClose) }
}
unsafe extern "C" fn x_read(f: *mut ffi::sqlite3_file, buf: *mut c_void, n: c_int, off: i64) -> c_int {
    unsafe { delegate!(f, xRead, buf, n, off) }
}
unsafe extern "C" fn x_write(f: *mut ffi::sqlite3_file, buf: *const c_void, n: c_int, off: i64) -> c_int {
    unsafe {
        let rc = delegate!(f, xWrite, buf, n, off);
        if rc == ffi::SQLITE_OK {
            let data = std::slice::from_raw_parts(buf.cast::<u8>(), usize::try_from(n).unwrap_or(0)).to_vec();
            record((*f.cast::<RecFile>()).gen, |gen| Event::Write { gen, offset: u64::try_from(off).unwrap_or(0), data });
        }
        rc
    }
}
unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    unsafe {
        let rc = delegate!(f, xTruncate, size);
        if rc == ffi::SQLITE_OK {
            record((*f.cast::<RecFile>()).gen, |gen| Event::Truncate { gen, size: u64::try_from(size).unwrap_or(0) });
        }
        rc
    }
}
unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe {
        let rc = delegate!(f, xSync, flags);
        let rf = f.cast::<RecFile>();
        if rc == ffi::SQLITE_OK {
            record((*rf).gen, |gen| Event::Sync { gen });
            if (*rf).dir_sync_pending {
                (*rf).dir_sync_pending = false;
                record((*rf).gen, |_| Event::DirSync);
            }
        }
        rc
    }
}
unsafe extern "C" fn x_file_size(f: *mut ffi::sqlite3_file, out: *mut i64) -> c_int {
    unsafe { delegate!(f, xFileSize, out) }
}
unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { delegate!(f, xLock, level) }
}
unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { delegate!(f, xUnlock, level) }
}
unsafe extern "C" fn x_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { delegate!(f, xCheckReservedLock, out) }
}
unsafe extern "C" fn x_file_control(f: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    unsafe { delegate!(f, xFileControl, op, arg) }
}
unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { delegate!(f, xSectorSize) }
}
unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { delegate!(f, xDeviceCharacteristics) }
}
unsafe extern "C" fn x_shm_map(f: *mut ffi::sqlite3_file, pg: c_int, size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int {
    unsafe { delegate!(f, xShmMap, pg, size, extend, out) }
}
unsafe extern "C" fn x_shm_lock(f: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    unsafe { delegate!(f, xShmLock, offset, n, flags) }
}
unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    unsafe {
        let inner = inner(f);
        if let Some(m) = (*(*inner).pMethods).xShmBarrier {
            m(inner)
        }
    }
}
unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe { delegate!(f, xShmUnmap, delete) }
}
unsafe extern "C" fn x_fetch(f: *mut ffi::sqlite3_file, off: i64, n: c_int, out: *mut *mut c_void) -> c_int {
    unsafe { delegate!(f, xFetch, off, n, out) }
}
unsafe extern "C" fn x_unfetch(f: *mut ffi::sqlite3_file, off: i64, p: *mut c_void) -> c_int {
    unsafe { delegate!(f, xUnfetch, off, p) }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

/// The wrapped platform VFS (kept in `pAppData`).
unsafe fn real(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    unsafe { (*vfs).pAppData.cast() }
}

unsafe fn path_of(name: *const c_char) -> Option<PathBuf> {
    if name.is_null() {
        return None;
    }
    // SAFETY: SQLite passes a NUL-terminated file name.
    unsafe { CStr::from_ptr(name) }.to_str().ok().map(PathBuf::from)
}

unsafe extern "C" fn x_open(vfs: *mut ffi::sqlite3_vfs, name: *const c_char, f: *mut ffi::sqlite3_file, flags: c_int, out: *mut c_int) -> c_int {
    unsafe {
        let real = real(vfs);
        let rf = f.cast::<RecFile>();
        std::ptr::write(rf, RecFile { base: ffi::sqlite3_file { pMethods: std::ptr::null() }, gen: None, dir_sync_pending: false });
        let path = path_of(name);
        let existed = path.as_ref().is_some_and(|p| p.exists());
        let Some(open) = (*real).xOpen else { return ffi::SQLITE_CANTOPEN };
        let rc = open(real, name, inner(f), flags, out);
        // SQLite calls xClose whenever pMethods is set, even after a failed open.
        (*rf).base.pMethods = if (*inner(f)).pMethods.is_null() { std::ptr::null() } else { &METHODS };
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        let journal = ffi::SQLITE_OPEN_MAIN_JOURNAL | ffi::SQLITE_OPEN_SUPER_JOURNAL | ffi::SQLITE_OPEN_WAL;
        (*rf).dir_sync_pending = flags & ffi::SQLITE_OPEN_CREATE != 0 && flags & journal != 0;
        if let (Some(path), Some(rec)) = (path, recorder().as_mut()) {
            if path.starts_with(&rec.dir) {
                let gen = match rec.current.get(&path) {
                    Some(&gen) if existed => gen,
                    _ => {
                        let gen = rec.gens;
                        rec.gens += 1;
                        rec.current.insert(path.clone(), gen);
                        rec.events.push(Event::Create { gen, path });
                        gen
                    }
                };
                (*rf).gen = Some(gen);
            }
        }
        rc
    }
}

unsafe extern "C" fn x_delete(vfs: *mut ffi::sqlite3_vfs, name: *const c_char, sync_dir: c_int) -> c_int {
    unsafe {
        let real = real(vfs);
        let Some(delete) = (*real).xDelete else { return ffi::SQLITE_IOERR_DELETE };
        let rc = delete(real, name, sync_dir);
        if let (ffi::SQLITE_OK, Some(path), Some(rec)) = (rc, path_of(name), recorder().as_mut()) {
            if rec.current.remove(&path).is_some() {
                rec.events.push(Event::Delete { path });
                if sync_dir & 1 != 0 {
                    rec.events.push(Event::DirSync);
                }
            }
        }
        rc
    }
}

unsafe extern "C" fn x_access(vfs: *mut ffi::sqlite3_vfs, name: *const c_char, flags: c_int, out: *mut c_int) -> c_int {
    unsafe {
        let real = real(vfs);
        match (*real).xAccess {
            Some(access) => access(real, name, flags, out),
            None => ffi::SQLITE_IOERR_ACCESS,
        }
    }
}

unsafe extern "C" fn x_full_pathname(vfs: *mut ffi::sqlite3_vfs, name: *const c_char, n: c_int, out: *mut c_char) -> c_int {
    unsafe {
        let real = real(vfs);
        match (*real).xFullPathname {
            Some(full) => full(real, name, n, out),
            None => ffi::SQLITE_CANTOPEN,
        }
    }
}

/// Registers the recording VFS as the process default (once).
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| unsafe {
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!real.is_null(), "SQLite has no default VFS");
        // A copy of the unix VFS: the calls not wrapped here (dlopen, randomness, sleep, clock,
        // system calls) ignore their VFS argument in the unix implementation.
        let mut vfs = *real;
        vfs.szOsFile = c_int::try_from(INNER_OFFSET).unwrap_or(0) + (*real).szOsFile;
        vfs.zName = c"crashrec".as_ptr();
        vfs.pAppData = real.cast();
        vfs.pNext = std::ptr::null_mut();
        vfs.xOpen = Some(x_open);
        vfs.xDelete = Some(x_delete);
        vfs.xAccess = Some(x_access);
        vfs.xFullPathname = Some(x_full_pathname);
        // Lives as long as the process: SQLite keeps the pointer.
        let vfs = Box::into_raw(Box::new(vfs));
        assert_eq!(ffi::sqlite3_vfs_register(vfs, 1), ffi::SQLITE_OK, "register the recording VFS");
    });
}

/// Starts recording every file SQLite opens under `dir` (which must be empty: files that were
/// there before are not known to the log).
pub fn start(dir: &Path) {
    install();
    *recorder() = Some(Recorder { dir: dir.to_path_buf(), events: Vec::new(), current: BTreeMap::new(), gens: 0 });
}

/// How many events the log holds now: a crash point.
pub fn position() -> usize {
    recorder().as_ref().map_or(0, |r| r.events.len())
}

/// Stops recording and returns the log.
pub fn stop() -> Vec<Event> {
    recorder().take().map(|r| r.events).unwrap_or_default()
}

/// What became of the writes and truncates of a file after its last completed fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// None reached the disk.
    None,
    /// All reached the disk, whole.
    All,
    /// The first n, then the next one torn (a random subset of its sectors).
    Prefix,
    /// Each kept or lost on its own; each kept write whole or torn.
    Subset,
}

/// How one crash state is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The fate of every file's unsynced writes; `None`: drawn per file.
    pub fate: Option<Fate>,
    /// Directory entries created or removed since the last directory fsync: `Some(true)` all
    /// persisted, `Some(false)` none, `None` drawn per entry.
    pub dir_persisted: Option<bool>,
    /// A deliberately wrong disk for the harness's self-check: the last write before each
    /// file's last fsync is lost although the fsync completed.
    pub lose_synced_write: bool,
}

/// The sector size of the model: a write persists in whole 512-byte pieces.
pub const SECTOR: u64 = 512;

fn apply_write(file: &mut Vec<u8>, offset: u64, data: &[u8], keep: &mut dyn FnMut() -> bool) {
    let end = offset + data.len() as u64;
    let mut at = offset;
    while at < end {
        let piece_end = ((at / SECTOR + 1) * SECTOR).min(end);
        if keep() {
            let (from, to) = (usize::try_from(at).unwrap_or(usize::MAX), usize::try_from(piece_end).unwrap_or(usize::MAX));
            if file.len() < to {
                file.resize(to, 0);
            }
            let src = usize::try_from(at - offset).unwrap_or(0);
            file[from..to].copy_from_slice(&data[src..src + (to - from)]);
        }
        at = piece_end;
    }
}

fn apply(file: &mut Vec<u8>, event: &Event, keep: &mut dyn FnMut() -> bool) {
    match event {
        Event::Write { offset, data, .. } => apply_write(file, *offset, data, keep),
        Event::Truncate { size, .. } if keep() => file.resize(usize::try_from(*size).unwrap_or(0), 0),
        _ => {}
    }
}

/// The content a disk could hold for generation `gen` after a power cut at the end of `log`.
fn rebuild_file(log: &[Event], gen: usize, fate: Fate, variant: &Variant, rng: &mut Rng) -> Vec<u8> {
    let ops: Vec<&Event> =
        log.iter().filter(|e| matches!(e, Event::Write { gen: g, .. } | Event::Truncate { gen: g, .. } | Event::Sync { gen: g } if *g == gen)).collect();
    let synced = ops.iter().rposition(|e| matches!(e, Event::Sync { .. })).unwrap_or(0);
    let (durable, pending) = ops.split_at(if ops.is_empty() { 0 } else { synced });
    let lost = if variant.lose_synced_write { durable.iter().rposition(|e| matches!(e, Event::Write { .. })) } else { None };
    let mut file = Vec::new();
    for (i, e) in durable.iter().enumerate() {
        if Some(i) != lost {
            apply(&mut file, e, &mut || true);
        }
    }
    let pending: Vec<&&Event> = pending.iter().filter(|e| !matches!(e, Event::Sync { .. })).collect();
    match fate {
        Fate::None => {}
        Fate::All => pending.iter().for_each(|e| apply(&mut file, e, &mut || true)),
        Fate::Prefix => {
            let n = usize::try_from(rng.below(pending.len() as u64 + 1)).unwrap_or(0);
            pending.iter().take(n).for_each(|e| apply(&mut file, e, &mut || true));
            if let Some(e) = pending.get(n) {
                apply(&mut file, e, &mut || rng.chance(50));
            }
        }
        Fate::Subset => {
            for e in pending {
                if rng.chance(50) {
                    let torn = rng.chance(30);
                    apply(&mut file, e, &mut || !torn || rng.chance(50));
                }
            }
        }
    }
    file
}

/// The files (path → content) a disk could hold after a power cut at the end of `log`.
pub fn rebuild(log: &[Event], variant: &Variant, rng: &mut Rng) -> BTreeMap<PathBuf, Vec<u8>> {
    // The directory as of the last directory fsync, and as SQLite last left it.
    let (mut durable, mut current) = (BTreeMap::new(), BTreeMap::new());
    for e in log {
        match e {
            Event::Create { gen, path } => {
                current.insert(path.clone(), *gen);
            }
            Event::Delete { path } => {
                current.remove(path);
            }
            Event::DirSync => durable = current.clone(),
            _ => {}
        }
    }
    let paths: std::collections::BTreeSet<&PathBuf> = durable.keys().chain(current.keys()).collect();
    let mut files = BTreeMap::new();
    for path in paths {
        let (old, new) = (durable.get(path), current.get(path));
        let persisted = old == new || variant.dir_persisted.unwrap_or_else(|| rng.chance(50));
        let Some(&gen) = (if persisted { new } else { old }) else { continue };
        let fate = variant.fate.unwrap_or_else(|| match rng.below(4) {
            0 => Fate::None,
            1 => Fate::All,
            2 => Fate::Prefix,
            _ => Fate::Subset,
        });
        files.insert(path.clone(), rebuild_file(log, gen, fate, variant, rng));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(gen: usize, offset: u64, data: &[u8]) -> Event {
        Event::Write { gen, offset, data: data.to_vec() }
    }

    /// Synced writes always persist; unsynced ones persist per their fate, in whole sectors.
    #[test]
    fn the_disk_model_keeps_synced_writes_and_tears_at_sectors() {
        let path = PathBuf::from("/d/x");
        let log = vec![Event::Create { gen: 0, path: path.clone() }, w(0, 0, &[1; 1024]), Event::Sync { gen: 0 }, Event::DirSync, w(0, 256, &[2; 1024])];
        let mut rng = Rng(1);
        let none = rebuild(&log, &Variant { fate: Some(Fate::None), dir_persisted: None, lose_synced_write: false }, &mut rng);
        assert_eq!(none[&path], vec![1; 1024]);
        let all = rebuild(&log, &Variant { fate: Some(Fate::All), dir_persisted: None, lose_synced_write: false }, &mut rng);
        assert_eq!(all[&path].len(), 1280);
        assert!(all[&path][256..].iter().all(|&b| b == 2));
        for seed in 0..64 {
            let f = &rebuild(&log, &Variant { fate: Some(Fate::Subset), dir_persisted: None, lose_synced_write: false }, &mut Rng(seed))[&path];
            assert!(f[..256].iter().all(|&b| b == 1), "bytes outside the unsynced write are untouched");
            // Sector pieces of the write: [256,512) [512,1024) [1024,1280): each all old or all new.
            for (a, b) in [(256, 512), (512, 1024)] {
                assert!(f[a..b].iter().all(|&x| x == 1) || f[a..b].iter().all(|&x| x == 2), "piece {a}..{b} torn inside a sector");
            }
        }
        let lost = rebuild(&log, &Variant { fate: Some(Fate::None), dir_persisted: None, lose_synced_write: true }, &mut rng);
        assert!(lost[&path].is_empty(), "the self-check variant loses the synced write");
    }

    /// A file created after the last directory fsync may be missing; a removed one may be back.
    #[test]
    fn unsynced_directory_entries_may_go_either_way() {
        let (a, b) = (PathBuf::from("/d/a"), PathBuf::from("/d/b"));
        let log = vec![Event::Create { gen: 0, path: a.clone() }, Event::DirSync, Event::Delete { path: a.clone() }, Event::Create { gen: 1, path: b.clone() }];
        let mut rng = Rng(1);
        let old = rebuild(&log, &Variant { fate: Some(Fate::All), dir_persisted: Some(false), lose_synced_write: false }, &mut rng);
        assert_eq!(old.keys().collect::<Vec<_>>(), vec![&a]);
        let new = rebuild(&log, &Variant { fate: Some(Fate::All), dir_persisted: Some(true), lose_synced_write: false }, &mut rng);
        assert_eq!(new.keys().collect::<Vec<_>>(), vec![&b]);
    }
}
