//! Compiles the one C file of the commands crate: INCRBYFLOAT's `long double` arithmetic
//! (see `src/strings/longdouble.c` for why it is C).

fn main() {
    println!("cargo:rerun-if-changed=src/strings/longdouble.c");
    cc::Build::new()
        .file("src/strings/longdouble.c")
        .opt_level(2)
        .warnings(true)
        .compile("redoubt_longdouble");
}
