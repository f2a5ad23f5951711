//! The task dump: every live task, what it waits on, its async stack, and
//! the deadlocks among them. C#: `dotnet-dump analyze` → `dumpasync`.
//!
//! A dump walks each scheduler's registry in batches (at most
//! `WALK_BATCH` tasks per hold of a shard's lock, so a worker spawning or
//! completing a task on that shard waits a few µs at most), taking a ref
//! of each task so it stays readable, then reads each task's header:
//! atomics and values that never change, nothing a worker writes under a
//! lock. Workers never stop for a dump.

mod cycles;
mod on_signal;
mod render;

use crate::sync::WaitSite;
use crate::task::TaskStatus;
use crate::task::clock;
use crate::task::header::TaskKind;
use crate::task::raw::TaskRef;
use crate::task::schedule::Schedule;
use crate::task::waiting::{Parked, WaitWord};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use cycles::{Deadlock, DeadlockEdge};
pub use on_signal::{DumpSignal, dump_on_signal};

/// Every live task of the process (or of one runtime: `Handle::dump`),
/// as a snapshot. `Display` prints the async stacks, roots first, then the
/// deadlocks; [`to_json`](TaskDump::to_json) gives the same as JSON. C#:
/// what `dumpasync` prints from a dump of a .NET process.
#[derive(Clone, Debug)]
pub struct TaskDump {
    /// The live tasks, by id.
    pub tasks: Vec<TaskInfo>,
    /// The cycles in the wait-for graph.
    pub deadlocks: Vec<Deadlock>,
    /// How long taking the dump took.
    pub took: Duration,
    /// The longest the dump held one registry shard's lock: a worker
    /// spawning or completing a task on that shard waited at most this
    /// long for it (the dump takes at most 32 tasks per hold; a longer
    /// hold is the dumping thread preempted while it held the lock).
    pub longest_lock_hold: Duration,
    /// The median of those holds.
    pub median_lock_hold: Duration,
}

/// What kind of task this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskKindInfo {
    /// Work a scheduler runs (`Task::run`, `run_async`, `Task::new`).
    Work,
    /// A `TaskCompletionSource`'s task.
    Promise,
    /// A continuation (`continue_with`) or a combinator's task.
    Continuation,
    /// An async method's task (`Task::start_inline`).
    AsyncMethod,
}

/// One live task in a [`TaskDump`].
#[derive(Clone, Debug)]
pub struct TaskInfo {
    /// The task's id. C#: `Task.Id`.
    pub id: u64,
    /// Its name, if it was given one (`Task::builder().name(..)`).
    pub name: Option<String>,
    /// What kind of task it is.
    pub kind: TaskKindInfo,
    /// Its status. C#: `Task.Status`.
    pub status: TaskStatus,
    /// The scheduler that runs it ("pool #1", "dispatcher 'ui'"); `None`
    /// for a promise.
    pub home: Option<String>,
    /// Where it (or its `TaskCompletionSource`) was created.
    pub location: &'static Location<'static>,
    /// How long ago it was created.
    pub age: Duration,
    /// How long ago its last poll parked (`None`: never polled, or a
    /// promise). Millisecond-grained.
    pub since_last_poll: Option<Duration>,
    /// How many times it was polled.
    pub polls: u64,
    /// What its last poll parked on, if known.
    pub waiting_on: Option<WaitingOn>,
    /// The poll that parked also waits on something else (a `select`, a
    /// timeout): `waiting_on` is not all that holds it.
    pub waits_on_more: bool,
    /// A promise made inside a task's poll: that task (the one likely to
    /// complete it).
    pub created_by: Option<u64>,
}

/// What a parked task waits on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitingOn {
    /// Awaits this task (`task.await`, `(&task).await`).
    Task(u64),
    /// Blocked in `wait()`/`result()` on this task, inside its poll (a
    /// thread is held too).
    BlockedOn(u64),
    /// A channel, semaphore, lock, event, countdown or barrier of
    /// `tasklane::sync`.
    Primitive(WaitSite),
    /// A delay (`Task::delay`, a timeout): due in `due_in` (zero if due).
    Delay {
        /// Time left until it is due.
        due_in: Duration,
    },
    /// A socket to become readable (`write: false`) or writable.
    Socket {
        /// Waiting to write (else to read).
        write: bool,
        /// The socket's local address, if it has one.
        local: Option<SocketAddr>,
        /// The socket's peer, if connected.
        peer: Option<SocketAddr>,
    },
    /// A cancellation token to be cancelled.
    Token,
}

impl TaskDump {
    /// The task with this id, if it is in the dump.
    pub fn task(&self, id: u64) -> Option<&TaskInfo> {
        self.tasks
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| &self.tasks[i])
    }

    /// The ids of the tasks waiting on `id` (its awaiters and the tasks
    /// blocked on it), ascending.
    pub fn awaiters_of(&self, id: u64) -> Vec<u64> {
        self.tasks
            .iter()
            .filter(|t| t.awaited_task() == Some(id))
            .map(|t| t.id)
            .collect()
    }
}

impl TaskInfo {
    /// The task this one awaits or is blocked on, if any.
    pub fn awaited_task(&self) -> Option<u64> {
        match self.waiting_on {
            Some(WaitingOn::Task(id) | WaitingOn::BlockedOn(id)) => Some(id),
            _ => None,
        }
    }
}

/// Every live task of the process: the tasks of every runtime, dispatcher
/// and scheduler, and the promises tasks await. See [`TaskDump`].
///
/// ```
/// use tasklane::{Task, TaskCompletionSource};
///
/// let tcs = TaskCompletionSource::<u32>::new();
/// let promise = tcs.task();
/// let waiter = Task::builder()
///     .name("waiter")
///     .run_async(async move { promise.await.unwrap() });
/// # while !tasklane::diag::dump().task(waiter.id()).is_some_and(|t| t.waiting_on.is_some()) {
/// #     std::thread::yield_now();
/// # }
/// let dump = tasklane::diag::dump();
/// let info = dump.task(waiter.id()).unwrap();
/// assert_eq!(info.name.as_deref(), Some("waiter"));
/// assert_eq!(info.awaited_task(), Some(tcs.task().id()));
/// println!("{dump}");
/// tcs.set_result(1).unwrap();
/// assert_eq!(waiter.result().unwrap(), 1);
/// ```
pub fn dump() -> TaskDump {
    collect(&crate::task::directory::homes(), true)
}

/// The cycles in the wait-for graph of every live task: tasks that await
/// each other, directly or through promises and blocking waits. Each is
/// [`Deadlock::certain`] when every step is an await or a blocking wait of
/// one task on the next; a step through a promise (awaited, and made by a
/// task of the cycle, which alone seems able to complete it) makes it
/// likely. C#: none (`dumpasync` shows the chains, not the cycles).
pub fn find_deadlocks() -> Vec<Deadlock> {
    dump().deadlocks
}

/// A dump of the tasks of these schedulers, and the promises they await
/// (`all_promises`: every awaited promise of the process).
pub(crate) fn collect(homes: &[Arc<dyn Schedule>], all_promises: bool) -> TaskDump {
    let started = Instant::now();
    let mut refs: Vec<TaskRef> = Vec::new();
    let mut labels: Vec<(usize, Option<String>)> = Vec::new();
    let mut holds = Vec::new();
    for home in homes {
        labels.push((refs.len(), Some(home.describe())));
        home.registry().snapshot(&mut refs, &mut holds);
    }
    labels.push((refs.len(), None));
    crate::task::awaited::registry().snapshot(&mut refs, &mut holds);
    holds.sort_unstable();
    let now = clock::stamp();
    let mut read_tasks = Vec::with_capacity(refs.len());
    let mut label = 0;
    for (i, task) in refs.iter().enumerate() {
        while label + 1 < labels.len() && labels[label + 1].0 <= i {
            label += 1;
        }
        if let Some(read) = read(task, &labels[label].1, now) {
            read_tasks.push(read);
        }
    }
    // Waits and makers name tasks by header address: each becomes an id
    // if the task is in the dump (one that is not has completed).
    let ids: HashMap<usize, u64> = read_tasks.iter().map(|r| (r.address, r.info.id)).collect();
    let tasks: Vec<TaskInfo> = read_tasks
        .into_iter()
        .map(|mut r| {
            r.info.created_by = r.creator.and_then(|a| ids.get(&a).copied());
            r.info.waiting_on = match r.awaits {
                Some((address, blocked)) => ids.get(&address).map(|&id| {
                    if blocked {
                        WaitingOn::BlockedOn(id)
                    } else {
                        WaitingOn::Task(id)
                    }
                }),
                None => r.info.waiting_on,
            };
            if r.info.waiting_on.is_none() {
                r.info.waits_on_more = false;
            }
            r.info
        })
        .collect();
    let mut tasks = tasks;
    drop(refs);
    tasks.sort_unstable_by_key(|t| t.id);
    tasks.dedup_by_key(|t| t.id);
    if !all_promises {
        let awaited: std::collections::HashSet<u64> =
            tasks.iter().filter_map(TaskInfo::awaited_task).collect();
        tasks.retain(|t| t.kind != TaskKindInfo::Promise || awaited.contains(&t.id));
    }
    let deadlocks = cycles::find(&tasks);
    TaskDump {
        tasks,
        deadlocks,
        took: started.elapsed(),
        longest_lock_hold: holds.last().copied().unwrap_or_default(),
        median_lock_hold: holds.get(holds.len() / 2).copied().unwrap_or_default(),
    }
}

/// One task as read, before addresses become ids.
struct Read {
    info: TaskInfo,
    address: usize,
    /// The task it awaits (or is blocked on: true), by address.
    awaits: Option<(usize, bool)>,
    /// The task that made it (a promise), by address.
    creator: Option<usize>,
}

/// One task's entry, or None if it completed.
fn read(task: &TaskRef, home: &Option<String>, now: u32) -> Option<Read> {
    use crate::loom::sync::atomic::Ordering::Relaxed;
    let raw = task.raw();
    let header = raw.header();
    let snapshot = header.state.load();
    if snapshot.is_complete() {
        return None;
    }
    let word = WaitWord(header.waiting.load(Relaxed));
    let last_park = header.last_park.load(Relaxed);
    let kind = match header.kind {
        TaskKind::Work => TaskKindInfo::Work,
        TaskKind::Promise => TaskKindInfo::Promise,
        TaskKind::Continuation => TaskKindInfo::Continuation,
        TaskKind::AsyncMethod => TaskKindInfo::AsyncMethod,
    };
    let status = TaskStatus::from_snapshot(snapshot, header.kind);
    // A running task's word is from its last parked poll: not what holds
    // it now (unless it is blocked inside this poll).
    let parked = word
        .decode()
        .filter(|p| status != TaskStatus::Running || matches!(p, Parked::Blocked(_)));
    let awaits = match parked {
        Some(Parked::Task(a)) => Some((a, false)),
        Some(Parked::Blocked(a)) => Some((a, true)),
        _ => None,
    };
    let info = TaskInfo {
        id: header.id(),
        name: header.name.as_deref().cloned(),
        kind,
        status,
        home: if kind == TaskKindInfo::Promise {
            None
        } else {
            home.clone()
        },
        location: header.location,
        age: clock::since(header.created, now),
        since_last_poll: (last_park != 0).then(|| clock::since(last_park, now)),
        polls: u64::from(header.polls.load(Relaxed)),
        waiting_on: parked.and_then(waiting_on),
        waits_on_more: parked.is_some() && word.is_multiple(),
        created_by: None,
    };
    Some(Read {
        info,
        address: raw.address(),
        awaits,
        creator: (header.creator != 0).then_some(header.creator),
    })
}

/// What a wait word says, but for waits on tasks (named by address, made
/// ids once every task is read).
fn waiting_on(parked: Parked) -> Option<WaitingOn> {
    Some(match parked {
        Parked::Primitive(..) => WaitingOn::Primitive(WaitSite::from_parked(parked)?),
        Parked::Task(_) | Parked::Blocked(_) => return None,
        Parked::Delay(at) => WaitingOn::Delay {
            due_in: clock::until(at),
        },
        Parked::Read(fd) | Parked::Write(fd) => WaitingOn::Socket {
            write: matches!(parked, Parked::Write(_)),
            local: crate::io::socket_addr::local_addr(fd),
            peer: crate::io::socket_addr::peer_addr(fd),
        },
        Parked::Token => WaitingOn::Token,
    })
}

/// Tasks by id, for the renderers and the cycle search.
pub(crate) fn index(tasks: &[TaskInfo]) -> HashMap<u64, usize> {
    tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect()
}
