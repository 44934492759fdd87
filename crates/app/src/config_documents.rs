//! Tests of `[municipality.documents]` in the configuration file: keys, environment overrides and the tenant mapping.

#[cfg(test)]
mod tests {
    use rathaus_domain::documents::LegalBasis;

    use crate::config::Config;

    const TOML: &str = r#"
[[municipality]]
slug = "musterstadt"
name = "Stadt Musterstadt"
[municipality.documents]
legal_basis = "consent"
hosting = "Rechenzentrum des Zweckverbands, Deutschland"
[municipality.documents.controller]
address = "Marktplatz 1\n12345 Musterstadt"
representative = "Bürgermeisterin Erika Beispiel"
[municipality.documents.dpo]
email = "datenschutz@musterstadt.example"
[[municipality.documents.channel]]
name = "whatsapp"
purpose = "Anliegen und Sprechstunde"
evaluation_date = "2027-03-31"
"#;

    #[test]
    fn documents_block_reaches_the_tenant_settings() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("c.toml");
        std::fs::write(&p, TOML).expect("write");
        let env = vec![(
            "RATHAUS_MUNICIPALITY__0__DOCUMENTS__CONTROLLER__EMAIL".to_string(),
            "rathaus@musterstadt.example".to_string(),
        )];
        let c = Config::load_with_env(Some(&p), &env).expect("loads");
        let t = c.tenants().expect("tenants");
        let d = &t[0].settings.documents;
        assert_eq!(d.legal_basis, LegalBasis::Consent);
        assert_eq!(
            d.controller.email.as_deref(),
            Some("rathaus@musterstadt.example")
        );
        assert_eq!(
            d.channel("whatsapp").and_then(|c| c.purpose.as_deref()),
            Some("Anliegen und Sprechstunde")
        );
        assert_eq!(
            d.dpo.email.as_deref(),
            Some("datenschutz@musterstadt.example")
        );
    }

    /// The `[municipality.documents]` part of the README's configuration reference is valid as written.
    #[test]
    fn readme_reference_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("[municipality.documents]")
            .expect("README documents block");
        let end = start + readme[start..].find("```").expect("end of the code block");
        let text = format!(
            "[[municipality]]\nslug = \"m\"\nname = \"M\"\n{}",
            &readme[start..end]
        );
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("readme.toml");
        std::fs::write(&p, text).expect("write");
        let c = Config::load_with_env(Some(&p), &[]).expect("README block parses");
        let d = &c.tenants().expect("tenants")[0].settings.documents;
        assert_eq!(d.channel[0].name, "whatsapp");
        assert_eq!(d.legal_basis, LegalBasis::PublicTask);
        assert!(d.channel[0].editorial.is_some());
    }

    #[test]
    fn unknown_document_keys_are_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("bad.toml");
        std::fs::write(
            &p,
            "[[municipality]]\nslug = \"m\"\nname = \"M\"\n[municipality.documents.controller]\nmayor = \"x\"\n",
        )
        .expect("write");
        let e = Config::load_with_env(Some(&p), &[])
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("mayor"), "{e}");
        let none = Config::load_with_env(None, &[]).expect("defaults");
        assert!(none.municipality.is_empty());
    }
}
