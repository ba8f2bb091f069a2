//! `#[derive(Action)]`: a fieldless enum becomes a node's typed action type.
//!
//! Input:
//!
//! ```text
//! #[derive(Action)]
//! enum Verdict { Approve, #[default] NeedsReview }
//! ```
//!
//! Output:
//!
//! ```text
//! impl ActionType for Verdict { fn label(&self) -> &str { match self { Verdict::Approve => "approve", .. } } .. }
//! impl IntoAction for Verdict { type Action = Verdict; .. }
//! impl DefaultAction for Verdict { fn default_action() -> Self { Verdict::NeedsReview } .. }
//! impl FromStr for Verdict { fn from_str(text) { match text.trim() { "approve" => Ok(Verdict::Approve), .. } } }
//! ```

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::diag::Errors;
use crate::private::private;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    match expand(&input) {
        Ok(tokens) => tokens,
        Err(error) => error.into_compile_error(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let pf = private();
    let name = &input.ident;
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            format!(
                "#[derive(Action)] goes on a fieldless enum, like `enum {name} {{ Approve, Reject }}`; for string actions return `&'static str` or `pocketflow::Action` from `post`"
            ),
        ));
    };
    let mut errors = Errors::default();
    if data.variants.is_empty() {
        errors.at(name, format!("`{name}` has no variants; an action enum needs at least one, like `enum {name} {{ Done }}`"));
    }
    let mut default = None;
    let mut arms = Vec::new();
    let mut parses = Vec::new();
    let mut labels = Vec::new();
    for variant in &data.variants {
        let ident = &variant.ident;
        if !matches!(variant.fields, Fields::Unit) {
            errors.at(
                &variant.fields,
                format!("action variants carry no data: write `{ident}`; keep data in the shared store instead"),
            );
        }
        for attr in variant
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("default"))
        {
            if default.is_some() {
                errors.at(attr, "only one variant can be `#[default]`");
            }
            default = Some(ident);
        }
        let label = snake_case(&ident.to_string());
        if labels.contains(&label) {
            errors.at(
                ident,
                format!("`{ident}`'s label is `{label}`, which another variant has too; an action label names one variant, so rename one of them"),
            );
        }
        arms.push(quote!(#name::#ident => #label));
        parses.push(quote!(#label => #pf::Ok(#name::#ident)));
        labels.push(label);
    }
    errors.finish()?;

    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let is_default = match default {
        Some(variant) => quote!(#pf::matches!(self, #name::#variant)),
        None => quote!(false),
    };
    let default_impl = default.map(|variant| {
        quote! {
            impl #impl_generics #pf::DefaultAction for #name #type_generics #where_clause {
                fn default_action() -> Self {
                    #name::#variant
                }
            }
        }
    });
    Ok(quote! {
        impl #impl_generics #pf::ActionType for #name #type_generics #where_clause {
            fn label(&self) -> &str {
                match self {
                    #(#arms,)*
                }
            }
            fn into_action(self) -> #pf::Action {
                #pf::Action::new(match self {
                    #(#arms,)*
                })
            }
            fn to_action(&self) -> #pf::Action {
                #pf::Action::new(match self {
                    #(#arms,)*
                })
            }
            fn is_default(&self) -> bool {
                #is_default
            }
        }

        impl #impl_generics #pf::TypedActions for #name #type_generics #where_clause {}

        impl #impl_generics #pf::IntoAction for #name #type_generics #where_clause {
            type Action = Self;
            fn into_action(self) -> Self {
                self
            }
        }

        impl #impl_generics #pf::FromStr for #name #type_generics #where_clause {
            type Err = #pf::ParseActionError;
            fn from_str(__text: &str) -> #pf::Result<Self, #pf::ParseActionError> {
                match __text.trim() {
                    #(#parses,)*
                    _ => #pf::Err(#pf::ParseActionError::new(__text, &[#(#labels),*])),
                }
            }
        }

        #default_impl
    })
}

/// `NeedsReview` -> `needs_review`, `HTTPError` -> `http_error`, `Step2` -> `step2`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous != '_'
                && (previous.is_lowercase()
                    || previous.is_ascii_digit()
                    || (previous.is_uppercase() && next_is_lower))
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn labels_are_snake_case() {
        assert_eq!(snake_case("Approve"), "approve");
        assert_eq!(snake_case("NeedsReview"), "needs_review");
        assert_eq!(snake_case("HTTPError"), "http_error");
        assert_eq!(snake_case("Step2Done"), "step2_done");
        assert_eq!(snake_case("Already_Snake"), "already_snake");
    }
}
