use crate::build::env::RunRecord;
use crate::build::{self, target, Layout};
use crate::context::Context;
use crate::flags;

impl flags::Run {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let (_, record) = built(context, &self.selection)?;
        let env = crate::run::runner_env(&context.env);
        let code = crate::run::interpreter(&record, &std::env::current_dir()?, &env, &self.args).run_interactive()?;
        if code != 0 {
            std::process::exit(code);
        }
        Ok(())
    }
}

/// The layout and run record of a finished build.
pub fn built(context: &Context, selection: &flags::SourceSelection) -> anyhow::Result<(Layout, RunRecord)> {
    let target = target::target(selection.target);
    let layout = Layout::new(&super::bootstrap::work_dir(context, selection), target);
    let record = build::env::read_run_record(&layout)?;
    Ok((layout, record))
}
