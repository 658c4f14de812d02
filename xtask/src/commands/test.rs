use crate::context::Context;
use crate::events::{self, Stage};
use crate::exit::{Failure, TagResult};
use crate::flags::{self, Suite};
use crate::run::{extension, full, interrupt, known, smoke};

impl flags::Test {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let (work, record) = self.selection.recorded_build(context)?;
        events::for_target(record.target.name);
        let env = &context.runner_env;
        let step = |name: &str, run: &dyn Fn() -> anyhow::Result<()>| {
            events::step(Stage::Test, name, None, || run().tagged(Failure::Test))
        };
        match self.suite {
            Suite::Smoke => step("smoke test", &|| smoke::run(&record, &work, env, context.verbose)),
            Suite::Interrupt => step("interrupt test", &|| interrupt::run(&record, &work, env)),
            Suite::Extension => step("extension test", &|| extension::run(&record, &work, env)),
            Suite::Full if !record.target.offers.test_suite => Err(crate::exit::fail(
                Failure::Usage,
                "the browser bundle carries no tests (its stdlib zip leaves them out): run the suite on --target emscripten-node, the same interpreter with NODERAWFS".into(),
            )),
            Suite::Full => {
                let known = match self.with_known_failures {
                    true => vec![],
                    false => known::for_build(&record.python, record.target.name),
                };
                let name = "test suite";
                events::step(Stage::Test, name, Some(&full::log_path(&record, &work)), || {
                    full::run(&record, &work, env, self.per_test_timeout, &known, &self.args)
                })
            }
        }
    }
}
