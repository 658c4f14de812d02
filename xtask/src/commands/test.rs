use crate::build::{self, target, Layout};
use crate::context::Context;
use crate::flags::{self, Suite};
use crate::run::{full, smoke};

impl flags::Test {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let target = target::target(self.selection.target);
        let layout = Layout::new(
            &super::bootstrap::work_dir(context, &self.selection),
            target,
        );
        let record = build::env::read_run_record(&layout)?;
        match self.suite {
            Suite::Smoke => smoke::run(&record, &layout, &context.env),
            Suite::Full => full::run(
                &record,
                &layout,
                &context.env,
                self.per_test_timeout,
                &self.args,
            ),
        }
    }
}
