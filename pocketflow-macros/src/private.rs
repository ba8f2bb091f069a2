//! The one path generated code names the runtime by: `::pocketflow::__private`.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

/// `::pocketflow::__private`, at the macro's call site.
pub(crate) fn private() -> TokenStream {
    private_at(Span::call_site())
}

/// `::pocketflow::__private` with every token at `span`, for generated code whose errors must
/// land on a token of the user's (an interpolated path keeps its own span).
pub(crate) fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::pocketflow::__private)
}
