use crate::context::Context;
use crate::flags::{self, Suite};
use crate::run::{extension, full, interrupt, known, smoke};

impl flags::Test {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let (work, record) = self.selection.recorded_build(context)?;
        let env = &context.runner_env;
        match self.suite {
            Suite::Smoke => smoke::run(&record, &work, env),
            Suite::Interrupt => interrupt::run(&record, &work, env),
            Suite::Extension => extension::run(&record, &work, env),
            Suite::Full if !record.target.offers.test_suite => anyhow::bail!(
                "the browser bundle carries no tests (its stdlib zip leaves them out): run the suite on --target emscripten-node, the same interpreter with NODERAWFS"
            ),
            Suite::Full => {
                let known = match self.with_known_failures {
                    true => vec![],
                    false => known::for_build(&record.python, record.target.name),
                };
                full::run(&record, &work, env, self.per_test_timeout, &known, &self.args)
            }
        }
    }
}
