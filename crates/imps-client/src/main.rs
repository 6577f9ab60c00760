//! `imps`: the IMPS command-line client. This release has the codec tools:
//! `imps wbxml decode` (WBXML on stdin -> XML on stdout) and `imps wbxml encode`
//! (XML on stdin -> WBXML on stdout), the CSP version detected from the document.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "imps",
    version,
    about = "OMA IMPS (Wireless Village) client and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert one CSP document between XML and WBXML.
    Wbxml {
        #[command(subcommand)]
        op: WbxmlOp,
    },
}

#[derive(Subcommand)]
enum WbxmlOp {
    /// Read a WBXML CSP document on stdin and write it as XML on stdout.
    Decode,
    /// Read an XML CSP document on stdin and write it as WBXML on stdout.
    Encode,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imps: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Wbxml { op } => {
            let mut input = Vec::new();
            std::io::stdin().read_to_end(&mut input)?;
            let output = match op {
                WbxmlOp::Decode => imps_client::codec::wbxml_to_xml(&input)?.into_bytes(),
                WbxmlOp::Encode => imps_client::codec::xml_to_wbxml(&input)?,
            };
            let mut out = std::io::stdout().lock();
            out.write_all(&output)?;
            out.flush()?;
            Ok(())
        }
    }
}
