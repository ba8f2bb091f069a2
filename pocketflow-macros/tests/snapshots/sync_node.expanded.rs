#[allow(
    clippy::ptr_arg,
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
impl Count {
    fn post(&self, count: &mut u32) {
        *count += 1;
    }
}
impl ::pocketflow::__private::NodeInfo for Count {
    type Action = <() as ::pocketflow::__private::IntoAction>::Action;
    const NAME: &'static str = "Count";
}
impl ::pocketflow::__private::Configure for Count {
    const POLICY: ::pocketflow::__private::RetryPolicy = ::pocketflow::__private::RetryPolicy::new(
            1u32,
            ::pocketflow::__private::Duration::from_nanos(0u64),
        )
        .with_backoff_per_mille(1000u32, ::pocketflow::__private::Option::None)
        .with_timeout(::pocketflow::__private::Option::None);
}
impl<
    __P: ::pocketflow::__private::Sync,
> ::pocketflow::__private::SyncNodePhases<u32, __P> for Count {
    type Prep = ();
    type Exec = ();
    type Emitted = ::pocketflow::__private::Silent;
    fn phase_prep(
        &self,
        __shared: &mut u32,
        __params: &__P,
    ) -> ::pocketflow::__private::Result<Self::Prep, ::pocketflow::__private::BoxError> {
        ::pocketflow::__private::Ok(())
    }
    fn phase_exec(
        &self,
        __input: &Self::Prep,
        __emitter: &::pocketflow::__private::Emitter<Self::Emitted>,
    ) -> ::pocketflow::__private::Result<Self::Exec, ::pocketflow::__private::BoxError> {
        ::pocketflow::__private::Ok(())
    }
    fn phase_post(
        &self,
        __shared: &mut u32,
        __params: &__P,
        __prep: Self::Prep,
        __exec: Self::Exec,
    ) -> ::pocketflow::__private::Result<
        Self::Action,
        ::pocketflow::__private::BoxError,
    > {
        ::pocketflow::__private::Result::<
            _,
            ::pocketflow::__private::BoxError,
        >::Ok(Self::post(self, __shared))
            .map(::pocketflow::__private::IntoAction::into_action)
    }
}
impl<__T> ::pocketflow::__private::Emits<__T> for Count {}
impl<__P: ::pocketflow::__private::Sync> ::pocketflow::__private::Node<u32, __P>
for Count {
    fn run_node<'__a>(
        &'__a self,
        __store: ::pocketflow::__private::Store<'__a, u32>,
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
    fn run_in<'__a, __C: ::pocketflow::__private::RunContext<u32> + '__a>(
        &'__a self,
        __store: ::pocketflow::__private::Store<'__a, u32>,
        __params: &'__a __P,
        __cx: __C,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<Self::Action>,
    > + ::pocketflow::__private::Send + '__a {
        ::pocketflow::__private::drive_sync_node(self, __cx, __store, __params)
    }
    fn commits_each_post() -> bool {
        true
    }
}
