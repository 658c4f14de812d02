use crate::context::Context;
use crate::dist;
use crate::events::{self, Stage};
use crate::flags::{self, MessageFormat};
use crate::text::PathText;

impl flags::Dist {
    /// Packages the recorded build of each target asked for (`--target all`: every one built).
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let out = match &self.out {
            Some(dir) => context.absolute(dir),
            None => context.workspace.join("target/dist"),
        };
        for target in self.selection.targets()? {
            let (work, record) = self.selection.recorded_build_of(context, target)?;
            let _held = work.lock()?;
            let inputs = work.read_inputs()?;
            eprintln!(
                "dist: packaging the {} build of CPython {} from {}",
                target.name,
                inputs.version,
                work.root.shown()
            );
            let step = format!("package {}", target.name);
            let packaged = events::step(Stage::Dist, &step, None, || dist::package(&work, &record, &inputs, &out))?;
            match context.message_format {
                MessageFormat::Json => crate::events::emit_record("dist", &packaged),
                MessageFormat::Human => println!(
                    "{} ({} files, {} bytes, sha256 {})",
                    packaged.archive.shown(),
                    packaged.files,
                    packaged.bytes,
                    packaged.sha256
                ),
            }
        }
        Ok(())
    }
}
