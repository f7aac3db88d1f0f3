// The migrations are embedded at compile time (`embed_migrations!`); without
// this, adding a migration directory leaves an incremental build with the
// old list.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
