/// Nightjar's version: the one place it is written. `nightjar --version`, run records
/// (`nightjar_version`), bundle manifests (`verified_by`), reports and the container image tag in
/// `deploy/` all use it; a test checks `deploy/` against it.
public enum NightjarVersion {
    public static let current = "0.4.0"
}
