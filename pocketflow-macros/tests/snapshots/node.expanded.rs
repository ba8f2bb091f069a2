#[allow(
    clippy::ptr_arg,
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
impl Summarize {
    fn prep(&self, shared: &Doc) -> String {
        shared.text.clone()
    }
    async fn exec(&self, text: &String) -> Result<String, MyError> {
        call(text).await
    }
    fn exec_fallback(&self, _text: &String, err: pocketflow::Error) -> String {
        format!("(no summary: {err})")
    }
    fn post(&self, shared: &mut Doc, _text: String, summary: String) -> &'static str {
        shared.summary = summary;
        "done"
    }
}
impl ::pocketflow::__private::NodeInfo for Summarize {
    type Action = <&'static str as ::pocketflow::__private::IntoAction>::Action;
    const NAME: &'static str = "Summarize";
}
impl ::pocketflow::__private::Configure for Summarize {
    const POLICY: ::pocketflow::__private::RetryPolicy = ::pocketflow::__private::RetryPolicy::new(
            3u32,
            ::pocketflow::__private::Duration::from_nanos(500000000u64),
        )
        .with_backoff_per_mille(1000u32, ::pocketflow::__private::Option::None)
        .with_timeout(::pocketflow::__private::Option::None);
}
impl<__P: ::pocketflow::__private::Sync> ::pocketflow::__private::NodePhases<Doc, __P>
for Summarize {
    type Prep = String;
    type Exec = String;
    type Emitted = ::pocketflow::__private::Silent;
    fn phase_prep(
        &self,
        __shared: &mut Doc,
        __params: &__P,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            Self::Prep,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        async move {
            ::pocketflow::__private::Result::<
                _,
                ::pocketflow::__private::BoxError,
            >::Ok(Self::prep(self, &*__shared))
        }
    }
    fn phase_exec(
        &self,
        __input: &Self::Prep,
        __emitter: &::pocketflow::__private::Emitter<Self::Emitted>,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            Self::Exec,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        async move {
            ::pocketflow::__private::Fallible::into_phase_result(
                Self::exec(self, __input).await,
            )
        }
    }
    fn phase_exec_fallback(
        &self,
        __input: &Self::Prep,
        __error: ::pocketflow::__private::Error,
    ) -> ::pocketflow::__private::Result<
        impl ::pocketflow::__private::Future<
            Output = ::pocketflow::__private::Result<
                Self::Exec,
                ::pocketflow::__private::BoxError,
            >,
        > + ::pocketflow::__private::Send,
        ::pocketflow::__private::Error,
    > {
        ::pocketflow::__private::Ok(async move {
            ::pocketflow::__private::Result::<
                _,
                ::pocketflow::__private::BoxError,
            >::Ok(Self::exec_fallback(self, __input, __error))
        })
    }
    fn phase_post(
        &self,
        __shared: &mut Doc,
        __params: &__P,
        __prep: Self::Prep,
        __exec: Self::Exec,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            Self::Action,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        ::pocketflow::__private::post_prep_value::<Self::Prep, String>();
        ::pocketflow::__private::post_exec_value::<Self::Exec, String>();
        async move {
            ::pocketflow::__private::Result::<
                _,
                ::pocketflow::__private::BoxError,
            >::Ok(Self::post(self, __shared, __prep, __exec))
                .map(::pocketflow::__private::IntoAction::into_action)
        }
    }
}
impl<__T> ::pocketflow::__private::Emits<__T> for Summarize {}
impl<__P: ::pocketflow::__private::Sync> ::pocketflow::__private::Node<Doc, __P>
for Summarize {
    fn run_node<'__a>(
        &'__a self,
        __store: ::pocketflow::__private::Store<'__a, Doc>,
        __params: &'__a __P,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<Self::Action>,
    > + ::pocketflow::__private::Send + '__a {
        ::pocketflow::__private::Node::run_in(
            self,
            __store,
            __params,
            ::pocketflow::__private::Plain,
        )
    }
    fn run_in<'__a, __C: ::pocketflow::__private::RunContext<Doc> + '__a>(
        &'__a self,
        __store: ::pocketflow::__private::Store<'__a, Doc>,
        __params: &'__a __P,
        __cx: __C,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<Self::Action>,
    > + ::pocketflow::__private::Send + '__a {
        ::pocketflow::__private::drive_node(self, __cx, __store, __params)
    }
    fn commits_each_post() -> bool {
        true
    }
}
