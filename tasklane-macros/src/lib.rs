//! Attribute macros for tasklane: `#[tasklane::main]` and `#[tasklane::test]`
//! turn an `async fn` into a plain one that runs its body with
//! `tasklane::block_on`, on the default runtime.
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
    expand(attr, item, false)
}

/// Runs an `async fn` test on tasklane: the test fails if the body panics.
///
/// ```ignore
/// #[tasklane::test]
/// async fn adds() {
///     assert_eq!(tasklane::Task::run(|| 2).await.unwrap(), 2);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr, item, true)
}

fn expand(attr: TokenStream, item: TokenStream, is_test: bool) -> TokenStream {
    if !attr.is_empty() {
        return compile_error("this attribute takes no arguments", Span::call_site());
    }
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    // Find `async` before `fn`.
    let fn_pos = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"));
    let Some(fn_pos) = fn_pos else {
        return compile_error("expected an `async fn`", Span::call_site());
    };
    let async_pos = tokens[..fn_pos]
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async"));
    let Some(async_pos) = async_pos else {
        return compile_error("the function must be `async`", tokens[fn_pos].span());
    };
    // The body is the last brace group.
    let Some(TokenTree::Group(body)) = tokens.last() else {
        return compile_error("expected a function body", Span::call_site());
    };
    if body.delimiter() != Delimiter::Brace {
        return compile_error("expected a function body", body.span());
    }
    let mut out: Vec<TokenTree> = Vec::new();
    if is_test {
        out.push(TokenTree::Punct(Punct::new('#', Spacing::Alone)));
        out.push(TokenTree::Group(Group::new(
            Delimiter::Bracket,
            TokenStream::from(TokenTree::Ident(Ident::new("test", Span::call_site()))),
        )));
    }
    for (i, t) in tokens[..tokens.len() - 1].iter().enumerate() {
        if i != async_pos {
            out.push(t.clone());
        }
    }
    // `{ ::tasklane::block_on(async move <body>) }`
    let mut call: Vec<TokenTree> = Vec::new();
    for seg in ["tasklane", "block_on"] {
        call.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
        call.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
        call.push(TokenTree::Ident(Ident::new(seg, Span::call_site())));
    }
    let inner: TokenStream = [
        TokenTree::Ident(Ident::new("async", Span::call_site())),
        TokenTree::Ident(Ident::new("move", Span::call_site())),
        TokenTree::Group(body.clone()),
    ]
    .into_iter()
    .collect();
    call.push(TokenTree::Group(Group::new(Delimiter::Parenthesis, inner)));
    out.push(TokenTree::Group(Group::new(
        Delimiter::Brace,
        call.into_iter().collect(),
    )));
    out.into_iter().collect()
}

fn compile_error(msg: &str, span: Span) -> TokenStream {
    let mut ts: Vec<TokenTree> = vec![
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
        TokenTree::Ident(Ident::new("core", span)),
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(Punct::new('!', Spacing::Alone)),
    ];
    let lit = proc_macro::Literal::string(msg);
    ts.push(TokenTree::Group(Group::new(
        Delimiter::Parenthesis,
        TokenStream::from(TokenTree::Literal(lit)),
    )));
    ts.push(TokenTree::Punct(Punct::new(';', Spacing::Alone)));
    ts.into_iter().collect()
}
