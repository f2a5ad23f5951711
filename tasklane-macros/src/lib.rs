//! Attribute macros for tasklane: `#[tasklane::main]` turns an `async fn`
//! into a plain one that runs its body with `tasklane::block_on`, on the
//! default runtime; `#[tasklane::test]` runs a test's body on a runtime of
//! its own with `tasklane::testing::run_test`; `#[tasklane::async_method]`
//! scopes an `async fn`'s `configure_await(false)` to the function.
//!
//! Written on `proc_macro` alone: the transformation is a token splice (drop
//! `async`, wrap the body), which needs no parser.
#![deny(missing_docs)]

use proc_macro::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

/// Runs an `async fn main` on tasklane. C#: `static async Task Main()`.
///
/// ```ignore
/// #[tasklane::main]
/// async fn main() {
///     let v = tasklane::Task::run(|| 1).await.unwrap();
///     println!("{v}");
/// }
/// ```
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr, item)
}

/// Runs an `async fn` test on a runtime of its own
/// (`tasklane::testing::run_test`). The test fails if the body panics, and
/// also — with what went wrong and a task dump — if during it a task's
/// fault went unobserved, fire-and-forget work failed unhandled, a
/// `TaskCompletionSource` was dropped without completing its task, or
/// tasks it started are still alive at its end.
///
/// Arguments, all optional: `worker_threads = N` (default 2),
/// `start_paused = true` (the runtime's clock starts paused: see
/// `tasklane::time::pause`), `allow_pending` (tasks left running do not
/// fail the test).
///
/// ```ignore
/// #[tasklane::test(worker_threads = 4, start_paused = true)]
/// async fn retries_after_thirty_seconds() {
///     tasklane::time::delay(std::time::Duration::from_secs(30)).await;
/// }
/// ```
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = match test_options(attr) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let (async_pos, body) = match async_fn(&tokens) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let Some(name) = fn_name(&tokens) else {
        return compile_error("expected a function name", Span::call_site());
    };
    let mut out: Vec<TokenTree> = vec![
        TokenTree::Punct(Punct::new('#', Spacing::Alone)),
        TokenTree::Group(Group::new(
            Delimiter::Bracket,
            TokenStream::from(TokenTree::Ident(Ident::new("test", Span::call_site()))),
        )),
    ];
    for (i, t) in tokens[..tokens.len() - 1].iter().enumerate() {
        if i != async_pos {
            out.push(t.clone());
        }
    }
    // `::tasklane::testing::run_test(<options>, async move <body>)`
    let opts: TokenStream = format!(
        "::tasklane::testing::TestOptions::new(::core::concat!(::core::module_path!(), \"::{name}\")).worker_threads({}).start_paused({}).allow_pending({})",
        options.worker_threads, options.start_paused, options.allow_pending
    )
    .parse()
    .expect("valid tokens");
    let mut args: Vec<TokenTree> = opts.into_iter().collect();
    args.push(TokenTree::Punct(Punct::new(',', Spacing::Alone)));
    args.extend(async_move(body));
    let mut call = path(&["tasklane", "testing", "run_test"]);
    call.push(TokenTree::Group(Group::new(
        Delimiter::Parenthesis,
        args.into_iter().collect(),
    )));
    out.push(TokenTree::Group(Group::new(
        Delimiter::Brace,
        call.into_iter().collect(),
    )));
    out.into_iter().collect()
}

/// What `#[tasklane::test(..)]` was given.
struct TestArgs {
    worker_threads: usize,
    start_paused: bool,
    allow_pending: bool,
}

/// Parses `worker_threads = N, start_paused = true, allow_pending`.
fn test_options(attr: TokenStream) -> Result<TestArgs, TokenStream> {
    let mut args = TestArgs {
        worker_threads: 2,
        start_paused: false,
        allow_pending: false,
    };
    let tokens: Vec<TokenTree> = attr.into_iter().collect();
    for item in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        let (key, value) = match item {
            [] => continue,
            [TokenTree::Ident(k)] => (k, None),
            [TokenTree::Ident(k), TokenTree::Punct(eq), v] if eq.as_char() == '=' => (k, Some(v)),
            other => {
                return Err(compile_error(
                    "expected `worker_threads = N`, `start_paused = true|false` or `allow_pending`",
                    other[0].span(),
                ));
            }
        };
        let value_text = value.map(|v| v.to_string());
        match (key.to_string().as_str(), value_text.as_deref()) {
            ("worker_threads", Some(n)) => match n.parse::<usize>() {
                Ok(n) if n > 0 => args.worker_threads = n,
                _ => {
                    return Err(compile_error(
                        "`worker_threads` takes a whole number above zero",
                        key.span(),
                    ));
                }
            },
            ("start_paused", Some("true")) => args.start_paused = true,
            ("start_paused", Some("false")) => args.start_paused = false,
            ("allow_pending", None | Some("true")) => args.allow_pending = true,
            ("allow_pending", Some("false")) => args.allow_pending = false,
            _ => {
                return Err(compile_error(
                    "unknown argument: expected `worker_threads = N`, `start_paused = true|false` or `allow_pending`",
                    key.span(),
                ));
            }
        }
    }
    Ok(args)
}

/// The name after `fn`.
fn fn_name(tokens: &[TokenTree]) -> Option<String> {
    let at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"))?;
    match tokens.get(at + 1) {
        Some(TokenTree::Ident(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// Makes an `async fn` an async method in the C# sense: a
/// `configure_await(false)` (or `switch_to`) inside it moves only the
/// function's own continuation, and its caller resumes where it was (on its
/// dispatcher) once it returns. The body becomes
/// `::tasklane::context::async_method(async move { body }).await`.
///
/// ```ignore
/// #[tasklane::async_method]
/// async fn get_data() -> u32 {
///     let v = fetch().configure_await(false).await; // off the UI thread from here
///     parse(v)
/// } // the caller's next line runs on its UI thread again
/// ```
#[proc_macro_attribute]
pub fn async_method(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return compile_error("this attribute takes no arguments", Span::call_site());
    }
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let body = match async_fn(&tokens) {
        Ok((_, body)) => body,
        Err(e) => return e,
    };
    let mut out: Vec<TokenTree> = tokens[..tokens.len() - 1].to_vec();
    // `{ ::tasklane::context::async_method(async move <body>).await }`
    let mut call = path(&["tasklane", "context", "async_method"]);
    call.push(TokenTree::Group(Group::new(
        Delimiter::Parenthesis,
        async_move(body),
    )));
    call.push(TokenTree::Punct(Punct::new('.', Spacing::Alone)));
    call.push(TokenTree::Ident(Ident::new("await", Span::call_site())));
    out.push(TokenTree::Group(Group::new(
        Delimiter::Brace,
        call.into_iter().collect(),
    )));
    out.into_iter().collect()
}

/// Finds the `async` keyword of an `async fn` and its body (the last brace
/// group), or the compile error to report.
fn async_fn(tokens: &[TokenTree]) -> Result<(usize, &Group), TokenStream> {
    let Some(fn_pos) = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"))
    else {
        return Err(compile_error("expected an `async fn`", Span::call_site()));
    };
    let Some(async_pos) = tokens[..fn_pos]
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async"))
    else {
        return Err(compile_error(
            "the function must be `async`",
            tokens[fn_pos].span(),
        ));
    };
    match tokens.last() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => {
            Ok((async_pos, body))
        }
        _ => Err(compile_error("expected a function body", Span::call_site())),
    }
}

/// `::a::b::c` as tokens.
fn path(segments: &[&str]) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for seg in segments {
        out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
        out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
        out.push(TokenTree::Ident(Ident::new(seg, Span::call_site())));
    }
    out
}

/// `async move <body>` as tokens.
fn async_move(body: &Group) -> TokenStream {
    [
        TokenTree::Ident(Ident::new("async", Span::call_site())),
        TokenTree::Ident(Ident::new("move", Span::call_site())),
        TokenTree::Group(body.clone()),
    ]
    .into_iter()
    .collect()
}

fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return compile_error("this attribute takes no arguments", Span::call_site());
    }
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let (async_pos, body) = match async_fn(&tokens) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let mut out: Vec<TokenTree> = Vec::new();
    for (i, t) in tokens[..tokens.len() - 1].iter().enumerate() {
        if i != async_pos {
            out.push(t.clone());
        }
    }
    // `{ ::tasklane::block_on(async move <body>) }`
    let mut call = path(&["tasklane", "block_on"]);
    call.push(TokenTree::Group(Group::new(
        Delimiter::Parenthesis,
        async_move(body),
    )));
    out.push(TokenTree::Group(Group::new(
        Delimiter::Brace,
        call.into_iter().collect(),
    )));
    out.into_iter().collect()
}

fn compile_error(msg: &str, span: Span) -> TokenStream {
    let lit = proc_macro::Literal::string(msg);
    [
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
        TokenTree::Ident(Ident::new("core", span)),
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(Punct::new('!', Spacing::Alone)),
        TokenTree::Group(Group::new(
            Delimiter::Parenthesis,
            TokenStream::from(TokenTree::Literal(lit)),
        )),
        TokenTree::Punct(Punct::new(';', Spacing::Alone)),
    ]
    .into_iter()
    .collect()
}
