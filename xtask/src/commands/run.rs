use crate::context::Context;
use crate::flags;

impl flags::Run {
    /// Runs the interpreter; returns its exit status.
    pub fn run(self, context: &Context) -> anyhow::Result<u8> {
        let (_, mut record) = self.selection.recorded_build(context)?;
        record.runner = record.runner.started_in(&context.current_dir);
        let interpreter = crate::run::interpreter(&record, &context.current_dir, &context.runner_env, &self.args);
        let code = interpreter.run_interactive()?;
        // The interpreter's own status, as `python` would end with (a signal: 1).
        Ok(u8::try_from(code).unwrap_or(1))
    }
}
