::core::compile_error! {
    "unknown key `retries` in #[node]; the keys are `max_retries`, `wait`, `backoff`, `max_wait`, `timeout` and `actions`"
}
::core::compile_error! {
    "the shared store argument of `prep` must be a reference: write `&Doc`"
}
#[allow(
    clippy::ptr_arg,
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
impl Broken {
    fn prep(&self, shared: Doc) -> u32 {
        1
    }
    fn post(&self, shared: &mut Doc, _: u32, _: ()) -> Verdict {
        Verdict::Done
    }
}
impl ::pocketflow::__private::NodeInfo for Broken {
    type Action = <Verdict as ::pocketflow::__private::IntoAction>::Action;
    const NAME: &'static str = "Broken";
}
impl ::pocketflow::__private::Configure for Broken {
    const POLICY: ::pocketflow::__private::RetryPolicy = ::pocketflow::__private::RetryPolicy::new(
        1,
        ::pocketflow::__private::Duration::ZERO,
    );
}
impl<__T> ::pocketflow::__private::Emits<__T> for Broken {}
impl<
    __S: ::pocketflow::__private::Send,
    __P: ::pocketflow::__private::Sync,
> ::pocketflow::__private::Node<__S, __P> for Broken {
    fn run_node<'__a>(
        &'__a self,
        _: ::pocketflow::__private::Store<'__a, __S>,
        _: &'__a __P,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<Self::Action>,
    > + ::pocketflow::__private::Send + '__a {
        ::pocketflow::__private::Placeholder::pending()
    }
}
