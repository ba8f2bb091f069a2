#[allow(
    clippy::ptr_arg,
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
impl EachImage {
    fn prep(&self, s: &Shared, filter: &Filter) -> Vec<Job> {
        s.jobs(filter)
    }
    fn post(&self, s: &mut Shared, jobs: Vec<Job>) {
        s.done = jobs.len();
    }
}
impl ::pocketflow::__private::NodeInfo for EachImage {
    type Action = <() as ::pocketflow::__private::IntoAction>::Action;
    const NAME: &'static str = "EachImage";
}
impl ::pocketflow::__private::BatchFlowPhases<Shared, Filter> for EachImage {
    type Item = <Vec<Job> as ::pocketflow::__private::IntoIterator>::Item;
    const LIMIT: usize = 4usize;
    fn phase_prep(
        &self,
        __shared: &mut Shared,
        __params: &Filter,
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
            >::Ok(Self::prep(self, &*__shared, __params))
                .map(::pocketflow::__private::collect_items)
        }
    }
    fn phase_post(
        &self,
        __shared: &mut Shared,
        __params: &Filter,
        __prep: ::pocketflow::__private::Vec<Self::Item>,
    ) -> impl ::pocketflow::__private::Future<
        Output = ::pocketflow::__private::Result<
            Self::Action,
            ::pocketflow::__private::BoxError,
        >,
    > + ::pocketflow::__private::Send {
        async move {
            ::pocketflow::__private::Result::<
                _,
                ::pocketflow::__private::BoxError,
            >::Ok(Self::post(self, __shared, __prep))
                .map(::pocketflow::__private::IntoAction::into_action)
        }
    }
    ::pocketflow::__private::if_durable! {
        fn item_codec() -> ::pocketflow::__private::Option <
        ::pocketflow::__private::ItemCodec < Self::Item >> { #[allow(unused_imports)] use
        ::pocketflow::__private:: { JournaledItems as _, UnjournaledItems as _ }; (&&
        ::pocketflow::__private::FlowItems:: < Self::Item >
        (::pocketflow::__private::PhantomData)).codec() }
    }
    fn describe_item(
        __item: &Self::Item,
    ) -> ::pocketflow::__private::Option<::std::string::String> {
        #[allow(unused_imports)]
        use ::pocketflow::__private::{DebugItem as _, NoDebugItem as _};
        (&&::pocketflow::__private::ItemText::<
            Self::Item,
        >(::pocketflow::__private::PhantomData))
            .text(__item)
    }
}
impl EachImage {
    /// Runs `sub_flow` once per item of this batch flow's `prep`, with the item as
    /// the sub-flow's params; the result is a node.
    pub fn over<__F>(self, sub_flow: __F) -> ::pocketflow::BatchFlow<Self, __F> {
        ::pocketflow::BatchFlow::new(self, sub_flow)
    }
}
