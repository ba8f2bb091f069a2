fn expansion() {
    let _ = {
        #[allow(non_camel_case_types)]
        struct __Flow<__N0, __N1, __N2> {
            decide: __N0,
            search: __N1,
            answer: __N2,
            __max_steps: u64,
        }
        #[diagnostic::do_not_recommend]
        impl<
            __N0: ::pocketflow::__private::NodeInfo,
            __N1: ::pocketflow::__private::NodeInfo,
            __N2: ::pocketflow::__private::NodeInfo,
        > ::pocketflow::__private::NodeInfo for __Flow<__N0, __N1, __N2> {
            type Action = ::pocketflow::__private::Action;
            const NAME: &'static str = "flow";
            const IS_FLOW: bool = true;
            fn describe(
                &self,
                __mermaid: &mut ::pocketflow::__private::Mermaid,
                __id: &str,
                __name: &str,
            ) {
                __mermaid
                    .flow(
                        __id,
                        __name,
                        |__mermaid| {
                            let __id_decide = ::pocketflow::__private::child_id(
                                __id,
                                "decide",
                            );
                            let __id_search = ::pocketflow::__private::child_id(
                                __id,
                                "search",
                            );
                            let __id_answer = ::pocketflow::__private::child_id(
                                __id,
                                "answer",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.decide,
                                __mermaid,
                                &__id_decide,
                                "decide",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.search,
                                __mermaid,
                                &__id_search,
                                "search",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.answer,
                                __mermaid,
                                &__id_answer,
                                "answer",
                            );
                            __mermaid
                                .edge(
                                    &__id_decide,
                                    ::pocketflow::__private::Option::Some("search"),
                                    &__id_search,
                                );
                            __mermaid
                                .edge(
                                    &__id_decide,
                                    ::pocketflow::__private::Option::Some("answer"),
                                    &__id_answer,
                                );
                            __mermaid
                                .edge(
                                    &__id_search,
                                    ::pocketflow::__private::Option::None,
                                    &__id_decide,
                                );
                            __mermaid
                                .edge(
                                    &__id_answer,
                                    ::pocketflow::__private::Option::Some(
                                        ::pocketflow::__private::ActionType::label(&Verdict::Revise),
                                    ),
                                    &__id_decide,
                                );
                        },
                    );
            }
        }
        impl<
            __T,
            __N0: ::pocketflow::__private::Emits<__T>,
            __N1: ::pocketflow::__private::Emits<__T>,
            __N2: ::pocketflow::__private::Emits<__T>,
        > ::pocketflow::__private::Emits<__T> for __Flow<__N0, __N1, __N2> {}
        impl<
            __N0: ::pocketflow::__private::NodeInfo,
            __N1: ::pocketflow::__private::NodeInfo,
            __N2: ::pocketflow::__private::NodeInfo,
        > ::pocketflow::__private::Flow for __Flow<__N0, __N1, __N2> {
            fn with_max_steps(mut self, limit: u64) -> Self {
                self.__max_steps = limit;
                self
            }
        }
        impl<
            __S: ::pocketflow::__private::Send,
            __P: ::pocketflow::__private::Sync,
            __N0,
            __N1,
            __N2,
        > ::pocketflow::__private::Node<__S, __P> for __Flow<__N0, __N1, __N2>
        where
            __N0: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
            __N1: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
            __N2: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
            __N2: ::pocketflow::__private::NodeInfo<Action = Verdict>,
        {
            fn run_node<'__a>(
                &'__a self,
                __store: ::pocketflow::__private::Store<'__a, __S>,
                __params: &'__a __P,
            ) -> impl ::pocketflow::__private::Future<
                Output = ::pocketflow::__private::Result<::pocketflow::__private::Action>,
            > + ::pocketflow::__private::Send + '__a {
                ::pocketflow::__private::Node::run_in(
                    self,
                    __store,
                    __params,
                    ::pocketflow::__private::Plain,
                )
            }
            #[allow(unreachable_code)]
            fn run_in<'__a, __C: ::pocketflow::__private::RunContext<__S> + '__a>(
                &'__a self,
                mut __store: ::pocketflow::__private::Store<'__a, __S>,
                __params: &'__a __P,
                mut __cx: __C,
            ) -> impl ::pocketflow::__private::Future<
                Output = ::pocketflow::__private::Result<::pocketflow::__private::Action>,
            > + ::pocketflow::__private::Send + '__a {
                async move {
                    #[allow(non_camel_case_types)]
                    #[derive(Clone, Copy)]
                    enum __Step {
                        decide,
                        search,
                        answer,
                    }
                    let (__depth, __resume) = if __C::FOLLOWS {
                        __cx.enter(&["decide", "search", "answer"])?
                    } else {
                        (0, ::pocketflow::__private::Option::None)
                    };
                    let mut __steps = ::pocketflow::__private::StepCounter::new(
                        self.__max_steps,
                    );
                    let mut __at = match __resume {
                        ::pocketflow::__private::Option::Some(0u32) => __Step::decide,
                        ::pocketflow::__private::Option::Some(1u32) => __Step::search,
                        ::pocketflow::__private::Option::Some(2u32) => __Step::answer,
                        _ => __Step::decide,
                    };
                    loop {
                        __at = match __at {
                            __Step::decide => {
                                if __C::FOLLOWS {
                                    __cx.at(__depth, 0u32, "decide");
                                }
                                if __steps.step("decide")? {
                                    ::pocketflow::__private::spend_budget().await;
                                }
                                let __action = match ::pocketflow::__private::Node::<
                                    __S,
                                    __P,
                                >::run_in(
                                        &self.decide,
                                        __store.reborrow(),
                                        __params,
                                        __cx.child(),
                                    )
                                    .await
                                {
                                    ::pocketflow::__private::Ok(__action) => __action,
                                    ::pocketflow::__private::Err(__error) => {
                                        if __C::FOLLOWS {
                                            __cx.failed(__depth, &__error);
                                        }
                                        return ::pocketflow::__private::Err(
                                            ::pocketflow::__private::failed_at("decide", __error),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.note(__depth, &__action);
                                }
                                let __next = match ::pocketflow::__private::ActionType::label(
                                    &__action,
                                ) {
                                    "search" => __Step::search,
                                    "answer" => __Step::answer,
                                    _ => {
                                        match __action {
                                            __action => {
                                                return ::pocketflow::__private::Ok(
                                                    ::pocketflow::__private::unmatched(
                                                        "decide",
                                                        __action,
                                                        &["search", "answer"],
                                                    ),
                                                );
                                            }
                                        }
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.commit(__depth, __next as u32, &mut __store).await?;
                                }
                                __next
                            }
                            __Step::search => {
                                if __C::FOLLOWS {
                                    __cx.at(__depth, 1u32, "search");
                                }
                                if __steps.step("search")? {
                                    ::pocketflow::__private::spend_budget().await;
                                }
                                let __action = match ::pocketflow::__private::Node::<
                                    __S,
                                    __P,
                                >::run_in(
                                        &self.search,
                                        __store.reborrow(),
                                        __params,
                                        __cx.child(),
                                    )
                                    .await
                                {
                                    ::pocketflow::__private::Ok(__action) => __action,
                                    ::pocketflow::__private::Err(__error) => {
                                        if __C::FOLLOWS {
                                            __cx.failed(__depth, &__error);
                                        }
                                        return ::pocketflow::__private::Err(
                                            ::pocketflow::__private::failed_at("search", __error),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.note(__depth, &__action);
                                }
                                let __next = match __action {
                                    __action if ::pocketflow::__private::ActionType::is_default(
                                        &__action,
                                    ) => __Step::decide,
                                    __action => {
                                        return ::pocketflow::__private::Ok(
                                            ::pocketflow::__private::unmatched(
                                                "search",
                                                __action,
                                                &["default"],
                                            ),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.commit(__depth, __next as u32, &mut __store).await?;
                                }
                                __next
                            }
                            __Step::answer => {
                                if __C::FOLLOWS {
                                    __cx.at(__depth, 2u32, "answer");
                                }
                                if __steps.step("answer")? {
                                    ::pocketflow::__private::spend_budget().await;
                                }
                                let __action = match ::pocketflow::__private::Node::<
                                    __S,
                                    __P,
                                >::run_in(
                                        &self.answer,
                                        __store.reborrow(),
                                        __params,
                                        __cx.child(),
                                    )
                                    .await
                                {
                                    ::pocketflow::__private::Ok(__action) => __action,
                                    ::pocketflow::__private::Err(__error) => {
                                        if __C::FOLLOWS {
                                            __cx.failed(__depth, &__error);
                                        }
                                        return ::pocketflow::__private::Err(
                                            ::pocketflow::__private::failed_at("answer", __error),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.note(__depth, &__action);
                                }
                                let __next = match __action {
                                    Verdict::Revise => __Step::decide,
                                    __action => {
                                        return ::pocketflow::__private::Ok(
                                            ::pocketflow::__private::unmatched(
                                                "answer",
                                                __action,
                                                &["Verdict::Revise"],
                                            ),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.commit(__depth, __next as u32, &mut __store).await?;
                                }
                                __next
                            }
                        };
                    }
                }
            }
            fn commits_each_post() -> bool {
                true
                    && <__N0 as ::pocketflow::__private::Node<
                        __S,
                        __P,
                    >>::commits_each_post()
                    && <__N1 as ::pocketflow::__private::Node<
                        __S,
                        __P,
                    >>::commits_each_post()
                    && <__N2 as ::pocketflow::__private::Node<
                        __S,
                        __P,
                    >>::commits_each_post()
            }
        }
        #[allow(unused_imports)]
        use ::pocketflow::__private::edge_checks::{
            KnownDeclared as _, KnownDefault as _, KnownStrings as _, TypedDefault as _,
            TypedStrings as _, UnknownDeclared as _, UnknownDefault as _,
            UnknownStrings as _,
        };
        ::pocketflow::__private::assert_node(&decide);
        ::pocketflow::__private::assert_node(&search);
        ::pocketflow::__private::assert_node(&answer);
        #[allow(unused_imports)]
        use ::pocketflow::__private::emits_checks::Unknown as _;
        ::pocketflow::__private::emits_checks::pair(&decide, &search).same_emits();
        ::pocketflow::__private::emits_checks::pair(&decide, &answer).same_emits();
        ::pocketflow::__private::emits_checks::pair(&search, &answer).same_emits();
        (&&&::pocketflow::__private::edge_checks::labels_of(&decide)).string_edge();
        (&&::pocketflow::__private::edge_checks::declared_of(&decide))
            .declared_edge::<{ ::pocketflow::__private::label_hash("search") }>();
        (&&&::pocketflow::__private::edge_checks::labels_of(&decide)).string_edge();
        (&&::pocketflow::__private::edge_checks::declared_of(&decide))
            .declared_edge::<{ ::pocketflow::__private::label_hash("answer") }>();
        (&&&::pocketflow::__private::edge_checks::labels_of(&search)).default_edge();
        ::pocketflow::__private::edge_checks::labels_of(&answer)
            .typed_edge(Verdict::Revise);
        __Flow {
            decide,
            search,
            answer,
            __max_steps: u64::MAX,
        }
    };
}
