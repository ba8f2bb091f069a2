fn expansion() {
    let _ = {
        ::core::compile_error! {
            "`>` is not an edge; write `a >> next`, or `a - \"label\" >> next`"
        }
        ::pocketflow::__private::Placeholder
    };
}
