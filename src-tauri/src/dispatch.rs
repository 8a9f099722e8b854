//! The settings window's commands, made from their one list
//! (`command_list.rs`):
//!
//! - [`handler`]: Tauri's invoke handler (`generate_handler!`), for the
//!   window in the tray's process;
//! - [`dispatch`]: the same functions by name for a window in its own
//!   process (`window::host`), called with the tray's state and the
//!   arguments the page sent; by hand, because Tauri's command machinery
//!   only runs an `Invoke` that came from one of the process's own web
//!   views;
//! - [`COMMANDS`]: their names (`build.rs` makes the permissions from the
//!   same list).
//!
//! The top of the crate below `lib.rs`: nothing imports this module but
//! `lib.rs`; the window host reaches [`dispatch`] through
//! [`AnswerCalls`].

use crate::window::protocol::AnswerCalls;
pub use crate::window::protocol::Reply;
use crate::{about, commands, first_run};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use tauri::{AppHandle, Manager, Runtime};

include!("command_list.rs");

/// One argument, by the name the page gives it (these are all one word, so
/// Tauri's camelCase renaming leaves them as they are). Missing is `null`,
/// which an `Option` takes as `None`.
fn arg<T: DeserializeOwned>(cmd: &str, args: &Value, name: &str) -> Result<T, Value> {
    let v = args.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v)
        .map_err(|e| Value::String(format!("invalid args `{name}` for command `{cmd}`: {e}")))
}

fn ok<T: Serialize>(v: T) -> Reply {
    serde_json::to_value(v).map_err(|e| Value::String(format!("the answer could not be sent: {e}")))
}

fn answer<T: Serialize>(r: crate::error::Result<T>) -> Reply {
    match r {
        Ok(v) => ok(v),
        Err(e) => Err(Value::String(e.to_string())),
    }
}

/// One parameter of a command, as `command_list.rs` names it.
macro_rules! param {
    ($a:ident, $cmd:ident, $args:ident, app) => {
        $a.clone()
    };
    ($a:ident, $cmd:ident, $args:ident, state) => {
        $a.state()
    };
    ($a:ident, $cmd:ident, $args:ident, $name:ident) => {
        arg($cmd, $args, stringify!($name))?
    };
}

/// The call, awaited for an `async` command.
macro_rules! call {
    (sync, $e:expr) => {
        $e
    };
    (async, $e:expr) => {
        $e.await
    };
}

/// The answer, as `invoke` gives it to the page.
macro_rules! reply {
    (result, $e:expr) => {
        answer($e)
    };
    (value, $e:expr) => {
        ok($e)
    };
}

macro_rules! from_the_list {
    ($( $mode:tt $module:ident :: $name:ident ( $($param:ident),* ) -> $ret:ident ; )*) => {
        /// Every command of the settings window, by name.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Tauri's invoke handler of every command.
        pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($module::$name),*]
        }

        /// Run command `cmd` with `args` (the page's argument object) in
        /// this (the tray's) process.
        pub async fn dispatch<R: Runtime>(app: &AppHandle<R>, cmd: &str, args: &Value) -> Reply {
            let a = app.clone();
            match cmd {
                $(
                    stringify!($name) => reply!(
                        $ret,
                        call!($mode, $module::$name($(param!(a, cmd, args, $param)),*))
                    ),
                )*
                other => Err(Value::String(format!("command {other} not found"))),
            }
        }
    };
}

command_list!(from_the_list);

/// The window host's calls go to [`dispatch`].
impl<R: Runtime> AnswerCalls for AppHandle<R> {
    fn answer_call(&self, cmd: &str, args: &Value) -> impl Future<Output = Reply> + Send {
        dispatch(self, cmd, args)
    }
}
