//! Where work runs and what flows with it: the execution context and
//! `AsyncLocal` values.

mod execution_context;

pub(crate) use execution_context::with_context;
pub use execution_context::{
    AsyncFlowControl, AsyncLocal, ExecutionContext, FlowScope, flow_scope,
};
