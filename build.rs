//! Two things that make byok start faster, both invisible to behaviour.
//!
//! 1. The built-in templates (`templates/*.toml`) are also embedded as JSON
//!    (`$OUT_DIR/templates.rs`): serde reads JSON several times faster than TOML, and
//!    every command that lists the tools loads all of them (`byok env` loads
//!    `env.toml`). The TOML files stay the source; `templates::builtins` says how the
//!    two forms are kept in agreement.
//!    `templates/env.toml` is also embedded as plain Rust data (`ENV_EXPORTS`): `byok
//!    env` runs at every shell start, and building its few exports from constants
//!    touches no parser at all (bench/env.sh). `templates::env::builtin` says how it is
//!    checked.
//! 2. On Linux with glibc the `byok` executable is linked position-dependent. As a
//!    position-independent executable, its ~10,000 pointers in read-only data are
//!    relocated at every start and each page holding them is copied on write; linked
//!    position-dependent they are fixed at link time. Only the link of the binary
//!    changes (`rustc-link-arg-bins`): code stays position-independent, so proc-macro
//!    libraries, tests and dependencies build as before, and shared libraries, heap and
//!    stack keep their address randomisation. Elsewhere the platform default stands.
//! 3. Also there, the binary carries GCC's unwinder (`libgcc_eh.a`) instead of loading
//!    `libgcc_s.so.1`, as `gcc -static-libgcc` does for C++ programs: one shared
//!    library fewer to find, map and relocate at every start. Rust asks the linker for
//!    `-lgcc_s`; a linker script named `libgcc_s.so` in a directory searched first
//!    answers with the static archive. Panics, `catch_unwind` and backtraces work as
//!    before. When the C compiler does not know `libgcc_eh.a` (clang with
//!    compiler-rt), nothing changes.

use std::fmt::Write as _;
use std::path::Path;

// Cargo tells a build script its target and output dir only through the environment;
// `Env` is the binary's view of the user's environment and does not exist here.
#[allow(clippy::disallowed_methods)]
fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        if let Some(dir) = static_libgcc(Path::new(&out_dir)) {
            println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
        }
    }
    let mut code = templates_as_json(Path::new("templates"));
    code.push_str(&env_exports(Path::new("templates/env.toml")));
    std::fs::write(Path::new(&out_dir).join("templates.rs"), code).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=build.rs");
}

/// A directory whose `libgcc_s.so` links GCC's static unwinder in its place (point 3
/// above), or `None` when the linker's C compiler has no `libgcc_eh.a`.
#[allow(clippy::disallowed_methods)]
fn static_libgcc(out_dir: &Path) -> Option<std::path::PathBuf> {
    // The compiler rustc links with: the configured linker, else `cc` (rustc's default).
    let cc = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    let out = std::process::Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let archive = std::path::PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // A compiler that doesn't have the file prints its bare name back.
    if !out.status.success() || !archive.is_absolute() || !archive.is_file() {
        return None;
    }
    let dir = out_dir.join("static-libgcc");
    std::fs::create_dir_all(&dir).ok()?;
    let script = format!("INPUT(\"{}\")\n", archive.display());
    std::fs::write(dir.join("libgcc_s.so"), script).ok()?;
    Some(dir)
}

/// `pub const ENV_EXPORTS: Option<&[&[(&str, &str)]]>`: each `[[export]]` of
/// `env.toml` as its (field, value) pairs in file order, booleans as `"true"`/`"false"`.
/// `None` when the file is not valid TOML or holds anything else: byok then reads the
/// TOML and reports the mistake.
fn env_exports(path: &Path) -> String {
    let none = "pub const ENV_EXPORTS: Option<&[&[(&str, &str)]]> = None;\n".to_string();
    let text = std::fs::read_to_string(path).expect("templates/env.toml is part of the package");
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return none;
    };
    let Some(toml::Value::Array(exports)) = table.get("export").filter(|_| table.len() == 1) else {
        return none;
    };
    let mut code = String::from("/// `templates/env.toml`'s exports as (field, value) pairs.\n");
    code.push_str("pub const ENV_EXPORTS: Option<&[&[(&str, &str)]]> = Some(&[\n");
    for export in exports {
        let Some(fields) = export.as_table() else {
            return none;
        };
        code.push_str("    &[");
        for (field, value) in fields {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => return none,
            };
            write!(code, "({field:?}, {value:?}), ").expect("writing to a String");
        }
        code.push_str("],\n");
    }
    code.push_str("]);\n");
    code
}

/// `pub const JSON: &[(&str, &str)]`: each template's file name and its content as
/// JSON, keys in the order the file writes them. A file that is not valid TOML is left
/// out: byok then reads its TOML and reports the mistake with line and column.
fn templates_as_json(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("templates/ is part of the package")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut code = String::from("/// The built-in templates as JSON, by file name.\n");
    code.push_str("pub const JSON: &[(&str, &str)] = &[\n");
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).expect("a template is UTF-8 text");
        let Ok(value) = toml::from_str::<toml::Value>(&text) else {
            continue;
        };
        let json = serde_json::to_string(&value).expect("TOML values have a JSON form");
        writeln!(code, "    ({name:?}, {json:?}),").expect("writing to a String");
    }
    code.push_str("];\n");
    code
}
