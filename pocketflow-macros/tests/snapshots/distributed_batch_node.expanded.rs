#[allow(
    clippy::ptr_arg,
    clippy::unused_self,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
impl Translate {
    fn prep(&self, book: &Book) -> Vec<Page> {
        book.pages.clone()
    }
    async fn exec(&self, page: &Page) -> Result<String, HttpError> {
        translate(page).await
    }
    fn exec_fallback(&self, page: &Page, _err: pocketflow::Error) -> String {
        page.text.clone()
    }
    fn post(&self, book: &mut Book, _pages: Vec<Page>, out: Vec<String>) {
        book.translated = out;
    }
}
impl ::pocketflow::__private::NodeInfo for Translate {
    type Action = <() as ::pocketflow::__private::IntoAction>::Action;
    const NAME: &'static str = "Translate";
}
impl ::pocketflow::__private::BatchNode for Translate {}
impl ::pocketflow::__private::Configure for Translate {
    const POLICY: ::pocketflow::__private::RetryPolicy = ::pocketflow::__private::RetryPolicy::new(
            1u32,
            ::pocketflow::__private::Duration::from_nanos(0u64),
        )
        .with_backoff_per_mille(1000u32, ::pocketflow::__private::Option::None)
        .with_timeout(::pocketflow::__private::Option::None);
}
impl<__P: ::pocketflow::__private::Sync> ::pocketflow::__private::BatchPhases<Book, __P>
for Translate {
    type Item = <Vec<Page> as ::pocketflow::__private::IntoIterator>::Item;
    type Output = String;
    const LIMIT: usize = 64usize;
    type Emitted = ::pocketflow::__private::Silent;
    fn phase_prep(
        &self,
        __shared: &mut Book,
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
    fn phase_exec_fallback(
        &self,
        __input: &Self::Item,
        __error: ::pocketflow::__private::Error,
    ) -> ::pocketflow::__private::Result<
        impl ::pocketflow::__private::Future<
            Output = ::pocketflow::__private::Result<
                Self::Output,
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
        __shared: &mut Book,
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
            Vec<Page>,
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
}
impl<__T> ::pocketflow::__private::Emits<__T> for Translate {}
::pocketflow::__private::if_distributed! {
    distributed {
        impl ::pocketflow::__private::Distributed for Translate
        where
            <Vec<
                Page,
            > as ::pocketflow::__private::IntoIterator>::Item: ::pocketflow::__private::CheckPortable,
            String: ::pocketflow::__private::CheckPortable,
        {
            const REGISTERED_AS: &'static str = "translate";
            type Item = <<Vec<
                Page,
            > as ::pocketflow::__private::IntoIterator>::Item as ::pocketflow::__private::CheckPortable>::Checked;
            type Output = <String as ::pocketflow::__private::CheckPortable>::Checked;
            fn remote_exec(
                &self,
                __input: &Self::Item,
            ) -> impl ::pocketflow::__private::Future<
                Output = ::pocketflow::__private::Result<
                    Self::Output,
                    ::pocketflow::__private::BoxError,
                >,
            > + ::pocketflow::__private::Send {
                {
                    let __input = <<Vec<
                        Page,
                    > as ::pocketflow::__private::IntoIterator>::Item as ::pocketflow::__private::CheckPortable>::from_checked(
                        __input,
                    );
                    async move {
                        ::pocketflow::__private::Fallible::into_phase_result(
                                Self::exec(self, __input).await,
                            )
                            .map(
                                <String as ::pocketflow::__private::CheckPortable>::into_checked,
                            )
                    }
                }
            }
            fn remote_exec_fallback(
                &self,
                __input: &Self::Item,
                __error: ::pocketflow::__private::Error,
            ) -> ::pocketflow::__private::Result<
                impl ::pocketflow::__private::Future<
                    Output = ::pocketflow::__private::Result<
                        Self::Output,
                        ::pocketflow::__private::BoxError,
                    >,
                > + ::pocketflow::__private::Send,
                ::pocketflow::__private::Error,
            > {
                ::pocketflow::__private::Ok({
                    let __input = <<Vec<
                        Page,
                    > as ::pocketflow::__private::IntoIterator>::Item as ::pocketflow::__private::CheckPortable>::from_checked(
                        __input,
                    );
                    async move {
                        ::pocketflow::__private::Result::<
                            _,
                            ::pocketflow::__private::BoxError,
                        >::Ok(Self::exec_fallback(self, __input, __error))
                            .map(
                                <String as ::pocketflow::__private::CheckPortable>::into_checked,
                            )
                    }
                })
            }
        }
        impl<__P: ::pocketflow::__private::Sync> ::pocketflow::__private::Node<Book, __P>
        for Translate
        where
            <Vec<
                Page,
            > as ::pocketflow::__private::IntoIterator>::Item: ::pocketflow::__private::CheckPortable<
                Checked = <Vec<Page> as ::pocketflow::__private::IntoIterator>::Item,
            >,
            String: ::pocketflow::__private::CheckPortable<Checked = String>,
        {
            fn run_node<'__a>(
                &'__a self,
                __store: ::pocketflow::__private::Store<'__a, Book>,
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
            fn run_in<'__a, __C: ::pocketflow::__private::RunContext<Book> + '__a>(
                &'__a self,
                __store: ::pocketflow::__private::Store<'__a, Book>,
                __params: &'__a __P,
                __cx: __C,
            ) -> impl ::pocketflow::__private::Future<
                Output = ::pocketflow::__private::Result<Self::Action>,
            > + ::pocketflow::__private::Send + '__a {
                ::pocketflow::__private::drive_distributed_batch(self, __cx, __store, __params)
            }
            fn commits_each_post() -> bool {
                true
            }
        }
    }
}
