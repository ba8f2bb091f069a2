fn expansion() {
    let _ = {
        #[allow(non_camel_case_types)]
        struct __Flow<__N0, __N1, __N2, __N3> {
            plan: __N0,
            web: __N1,
            docs: __N2,
            write: __N3,
            __max_steps: u64,
        }
        #[diagnostic::do_not_recommend]
        impl<
            __N0: ::pocketflow::__private::NodeInfo,
            __N1: ::pocketflow::__private::NodeInfo,
            __N2: ::pocketflow::__private::NodeInfo,
            __N3: ::pocketflow::__private::NodeInfo,
        > ::pocketflow::__private::NodeInfo for __Flow<__N0, __N1, __N2, __N3> {
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
                            let __id_plan = ::pocketflow::__private::child_id(
                                __id,
                                "plan",
                            );
                            let __id_web = ::pocketflow::__private::child_id(
                                __id,
                                "web",
                            );
                            let __id_docs = ::pocketflow::__private::child_id(
                                __id,
                                "docs",
                            );
                            let __id_write = ::pocketflow::__private::child_id(
                                __id,
                                "write",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.plan,
                                __mermaid,
                                &__id_plan,
                                "plan",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.web,
                                __mermaid,
                                &__id_web,
                                "web",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.docs,
                                __mermaid,
                                &__id_docs,
                                "docs",
                            );
                            ::pocketflow::__private::NodeInfo::describe(
                                &self.write,
                                __mermaid,
                                &__id_write,
                                "write",
                            );
                            __mermaid
                                .edge(
                                    &__id_plan,
                                    ::pocketflow::__private::Option::None,
                                    &__id_web,
                                );
                            __mermaid
                                .edge(
                                    &__id_plan,
                                    ::pocketflow::__private::Option::None,
                                    &__id_docs,
                                );
                            __mermaid
                                .edge(
                                    &__id_web,
                                    ::pocketflow::__private::Option::None,
                                    &__id_write,
                                );
                            __mermaid
                                .edge(
                                    &__id_docs,
                                    ::pocketflow::__private::Option::None,
                                    &__id_write,
                                );
                            __mermaid
                                .edge(
                                    &__id_write,
                                    ::pocketflow::__private::Option::Some("again"),
                                    &__id_plan,
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
            __N3: ::pocketflow::__private::Emits<__T>,
        > ::pocketflow::__private::Emits<__T> for __Flow<__N0, __N1, __N2, __N3> {}
        impl<
            __N0: ::pocketflow::__private::NodeInfo,
            __N1: ::pocketflow::__private::NodeInfo,
            __N2: ::pocketflow::__private::NodeInfo,
            __N3: ::pocketflow::__private::NodeInfo,
        > ::pocketflow::__private::Flow for __Flow<__N0, __N1, __N2, __N3> {
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
            __N3,
        > ::pocketflow::__private::Node<__S, __P> for __Flow<__N0, __N1, __N2, __N3>
        where
            __N0: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
            __N1: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
            __N2: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
            __N3: ::pocketflow::__private::Node<__S, __P>
                + ::pocketflow::__private::Sync,
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
                        plan,
                        web,
                        write,
                    }
                    let (__depth, __resume) = if __C::FOLLOWS {
                        __cx.enter(&["plan", "[web, docs]", "write"])?
                    } else {
                        (0, ::pocketflow::__private::Option::None)
                    };
                    let mut __steps = ::pocketflow::__private::StepCounter::new(
                        self.__max_steps,
                    );
                    let mut __at = match __resume {
                        ::pocketflow::__private::Option::Some(0u32) => __Step::plan,
                        ::pocketflow::__private::Option::Some(1u32) => __Step::web,
                        ::pocketflow::__private::Option::Some(2u32) => __Step::write,
                        _ => __Step::plan,
                    };
                    loop {
                        __at = match __at {
                            __Step::plan => {
                                if __C::FOLLOWS {
                                    __cx.at(__depth, 0u32, "plan");
                                }
                                if __steps.step("plan")? {
                                    ::pocketflow::__private::spend_budget().await;
                                }
                                let __action = match ::pocketflow::__private::Node::<
                                    __S,
                                    __P,
                                >::run_in(
                                        &self.plan,
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
                                            ::pocketflow::__private::failed_at("plan", __error),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.note(__depth, &__action);
                                }
                                let __next = match __action {
                                    __action if ::pocketflow::__private::ActionType::is_default(
                                        &__action,
                                    ) => __Step::web,
                                    __action => {
                                        return ::pocketflow::__private::Ok(
                                            ::pocketflow::__private::unmatched(
                                                "plan",
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
                            __Step::web => {
                                if __C::FOLLOWS {
                                    __cx.at(__depth, 1u32, "[web, docs]");
                                }
                                if __steps.step("[web, docs]")? {
                                    ::pocketflow::__private::spend_budget().await;
                                }
                                let __action = match ::pocketflow::__private::drive_group(
                                        &(
                                            ::pocketflow::__private::Member(&self.web, "web"),
                                            (
                                                ::pocketflow::__private::Member(&self.docs, "docs"),
                                                ::pocketflow::__private::End,
                                            ),
                                        ),
                                        "[web, docs]",
                                        ::pocketflow::__private::group_codec(),
                                        __store.reborrow(),
                                        __params,
                                        __cx.child(),
                                    )
                                    .await
                                {
                                    ::pocketflow::__private::Ok(()) => {
                                        ::pocketflow::__private::Action::DEFAULT
                                    }
                                    ::pocketflow::__private::Err(__error) => {
                                        if __C::FOLLOWS {
                                            __cx.failed(__depth, &__error);
                                        }
                                        return ::pocketflow::__private::Err(__error);
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.note(__depth, &__action);
                                }
                                let __next = match __action {
                                    __action if ::pocketflow::__private::ActionType::is_default(
                                        &__action,
                                    ) => __Step::write,
                                    __action => {
                                        return ::pocketflow::__private::Ok(
                                            ::pocketflow::__private::unmatched(
                                                "[web, docs]",
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
                            __Step::write => {
                                if __C::FOLLOWS {
                                    __cx.at(__depth, 2u32, "write");
                                }
                                if __steps.step("write")? {
                                    ::pocketflow::__private::spend_budget().await;
                                }
                                let __action = match ::pocketflow::__private::Node::<
                                    __S,
                                    __P,
                                >::run_in(
                                        &self.write,
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
                                            ::pocketflow::__private::failed_at("write", __error),
                                        );
                                    }
                                };
                                if __C::FOLLOWS {
                                    __cx.note(__depth, &__action);
                                }
                                let __next = match ::pocketflow::__private::ActionType::label(
                                    &__action,
                                ) {
                                    "again" => __Step::plan,
                                    _ => {
                                        match __action {
                                            __action => {
                                                return ::pocketflow::__private::Ok(
                                                    ::pocketflow::__private::unmatched(
                                                        "write",
                                                        __action,
                                                        &["again"],
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
                        };
                    }
                }
            }
            fn commits_each_post() -> bool {
                false
            }
        }
        #[allow(unused_imports)]
        use ::pocketflow::__private::edge_checks::{
            KnownDeclared as _, KnownDefault as _, KnownStrings as _, TypedDefault as _,
            TypedStrings as _, UnknownDeclared as _, UnknownDefault as _,
            UnknownStrings as _,
        };
        ::pocketflow::__private::assert_node(&plan);
        ::pocketflow::__private::assert_node(&web);
        ::pocketflow::__private::assert_node(&docs);
        ::pocketflow::__private::assert_node(&write);
        #[allow(unused_imports)]
        use ::pocketflow::__private::emits_checks::Unknown as _;
        ::pocketflow::__private::emits_checks::pair(&plan, &web).same_emits();
        ::pocketflow::__private::emits_checks::pair(&plan, &docs).same_emits();
        ::pocketflow::__private::emits_checks::pair(&plan, &write).same_emits();
        ::pocketflow::__private::emits_checks::pair(&web, &docs).same_emits();
        ::pocketflow::__private::emits_checks::pair(&web, &write).same_emits();
        ::pocketflow::__private::emits_checks::pair(&docs, &write).same_emits();
        (&&&::pocketflow::__private::edge_checks::labels_of(&plan)).default_edge();
        (&&&::pocketflow::__private::edge_checks::labels_of(&write)).string_edge();
        (&&::pocketflow::__private::edge_checks::declared_of(&write))
            .declared_edge::<{ ::pocketflow::__private::label_hash("again") }>();
        __Flow {
            plan,
            web,
            docs,
            write,
            __max_steps: u64::MAX,
        }
    };
}
