use std::net::SocketAddr;

use crate::context::Context;
use crate::flags;
use crate::serve::Server;
use crate::text::PathText;

impl flags::Serve {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let root = self.bundle(context)?;
        let server = Server::bind(&root, SocketAddr::new(self.bind, self.port))?;
        let address = server.address()?;
        if !self.bind.is_loopback() {
            eprintln!("warning: serving on {address}: other machines that reach it can load the bundle");
        }
        eprintln!(
            "serve: {} at http://{address}/ (cross-origin isolated; one line per request; Ctrl-C stops)",
            root.shown()
        );
        server.run()
    }
}
