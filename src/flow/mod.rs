//! What flows along with async work: the [`ExecutionContext`] and its
//! [`AsyncLocal`] values. A leaf of the crate: the task layer carries a
//! task's context in its header and runs each poll inside it; nothing here
//! knows tasks, pools or runtimes. Public as part of [`crate::context`].

mod execution_context;
mod value_changed;

pub(crate) use execution_context::with_context;
pub use execution_context::{
    AsyncFlowControl, AsyncLocal, AsyncLocalValueChangedArgs, ExecutionContext, FlowScope,
    flow_scope,
};
