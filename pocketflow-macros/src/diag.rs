//! Collects every error of one macro input, so a single compile reports all of them.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// The errors found so far in one macro input.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// An error spanning `tokens`.
    pub(crate) fn at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error at `span`.
    pub(crate) fn at_span(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// `Ok(())` when nothing was reported.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.combined {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The output of an attribute macro that failed: the errors, then `rest`: the user's item
/// unchanged (with stub impls when it could be read), so that the rest of the crate still
/// type-checks, the errors are the only ones, and IDEs keep working.
pub(crate) fn with_original(error: syn::Error, rest: TokenStream) -> TokenStream {
    let mut out = error.into_compile_error();
    out.extend(rest);
    out
}
