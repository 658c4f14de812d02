use crate::build::{self, target, Layout};
use crate::context::Context;
use crate::flags;
use crate::process::Cmd;

impl flags::Run {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let target = target::target(self.selection.target);
        let layout = Layout::new(
            &super::bootstrap::work_dir(context, &self.selection),
            target,
        );
        let record = build::env::read_run_record(&layout)?;
        let env = crate::run::runner_env(&context.env);
        let code = Cmd::new(&record.runner.program, &std::env::current_dir()?, &env)
            .args(record.runner.args.iter().cloned())
            .arg(record.runner.module.display().to_string())
            .args(self.args)
            .run_interactive()?;
        if code != 0 {
            std::process::exit(code);
        }
        Ok(())
    }
}
