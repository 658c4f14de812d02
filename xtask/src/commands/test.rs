use crate::context::Context;
use crate::flags::{self, Suite};
use crate::run::{full, interrupt, smoke};

impl flags::Test {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let (layout, record) = super::run::built(context, &self.selection)?;
        match self.suite {
            Suite::Smoke => smoke::run(&record, &layout, &context.env),
            Suite::Interrupt => interrupt::run(&record, &layout, &context.env),
            Suite::Full => full::run(&record, &layout, &context.env, self.per_test_timeout, &self.args),
        }
    }
}
