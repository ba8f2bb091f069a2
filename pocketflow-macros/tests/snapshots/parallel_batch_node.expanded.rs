#[allow(
    clippy::ptr_arg,
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
impl Translate {
    fn prep(&self, s: &Shared) -> Vec<(String, String)> {
        s.pairs.clone()
    }
    async fn exec(&self, (text, lang): &(String, String)) -> Result<String, HttpError> {
        translate(text, lang).await
    }
    fn post(&self, s: &mut Shared, _pairs: Vec<(String, String)>, out: Vec<String>) {
        s.translations = out;
    }
}
impl ::pocketflow::__private::NodeInfo for Translate {
    type Action = <() as ::pocketflow::__private::IntoAction>::Action;
    const NAME: &'static str = "Translate";
}
impl ::pocketflow::__private::BatchNode for Translate {}
impl ::pocketflow::__private::Configure for Translate {
    const POLICY: ::pocketflow::__private::RetryPolicy = ::pocketflow::__private::RetryPolicy::new(
            2u32,
            ::pocketflow::__private::Duration::from_nanos(0u64),
        )
        .with_backoff_per_mille(1000u32, ::pocketflow::__private::Option::None)
        .with_timeout(::pocketflow::__private::Option::None);
}
impl<
    __P: ::pocketflow::__private::Sync,
> ::pocketflow::__private::BatchPhases<Shared, __P> for Translate {
    type Item = <Vec<(String, String)> as ::pocketflow::__private::IntoIterator>::Item;
    type Output = String;
    const LIMIT: usize = 8usize;
    type Emitted = ::pocketflow::__private::Silent;
    fn phase_prep(
        &self,
        __shared: &mut Shared,
        __params: &__P,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            ::pocketflow::__private::Vec<Self::Item>,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        async move {
            ::pocketflow::__private::Result::<
                _,
                ::pocketflow::__private::BoxError,
            >::Ok(Self::prep(self, &*__shared))
                .map(::pocketflow::__private::collect_items)
        }
    }
    fn phase_exec(
        &self,
        __input: &Self::Item,
        __emitter: &::pocketflow::__private::Emitter<Self::Emitted>,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            Self::Output,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        async move {
            ::pocketflow::__private::Fallible::into_phase_result(
                Self::exec(self, __input).await,
            )
        }
    }
    fn phase_post(
        &self,
        __shared: &mut Shared,
        __params: &__P,
        __prep: ::pocketflow::__private::Vec<Self::Item>,
        __exec: ::pocketflow::__private::Vec<Self::Output>,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            Self::Action,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        ::pocketflow::__private::post_prep_value::<
            ::pocketflow::__private::Vec<Self::Item>,
            Vec<(String, String)>,
        >();
        ::pocketflow::__private::post_exec_value::<
            ::pocketflow::__private::Vec<Self::Output>,
            Vec<String>,
        >();
        async move {
            ::pocketflow::__private::Result::<
                _,
                ::pocketflow::__private::BoxError,
            >::Ok(Self::post(self, __shared, __prep, __exec))
                .map(::pocketflow::__private::IntoAction::into_action)
        }
    }
    ::pocketflow::__private::if_durable! {
        fn batch_codec() -> ::pocketflow::__private::Option <
        ::pocketflow::__private::BatchCodec < Self::Item, Self::Output >> {
        #[allow(unused_imports)] use ::pocketflow::__private:: { JournaledItems as _,
        UnjournaledItems as _ }; (&& ::pocketflow::__private::NodeItems:: < Self::Item,
        Self::Output > (::pocketflow::__private::PhantomData)).codec() }
    }
}
impl<__T> ::pocketflow::__private::Emits<__T> for Translate {}
impl<__P: ::pocketflow::__private::Sync> ::pocketflow::__private::Node<Shared, __P>
for Translate {
    fn run_node<'__a>(
        &'__a self,
        __store: ::pocketflow::__private::Store<'__a, Shared>,
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
    fn run_in<'__a, __C: ::pocketflow::__private::RunContext<Shared> + '__a>(
        &'__a self,
        __store: ::pocketflow::__private::Store<'__a, Shared>,
        __params: &'__a __P,
        __cx: __C,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<Self::Action>,
    > + ::pocketflow::__private::Send + '__a {
        ::pocketflow::__private::drive_batch(self, __cx, __store, __params)
    }
    fn commits_each_post() -> bool {
        true
    }
}
