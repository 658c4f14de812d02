use crate::context::Context;
use crate::flags;

impl flags::Run {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let (_, mut record) = self.selection.recorded_build(context)?;
        record.runner = record.runner.started_in(&context.current_dir);
        let interpreter = crate::run::interpreter(&record, &context.current_dir, &context.runner_env, &self.args);
        let code = interpreter.run_interactive()?;
        if code != 0 {
            std::process::exit(code);
        }
        Ok(())
    }
}
