//! The two email address rules Oro applies to a contact: each address of
//! `emails` with Symfony's `Email` in `strict` mode (platform AddressBundle
//! `Resources/config/validation.yml`, `AbstractEmail.email`), and
//! `primaryEmail` with `Email: ~` (OroCRM ContactBundle
//! `Resources/config/oro/api.yml`), Symfony 7's default `html5` mode.

use regex::Regex;
use std::sync::LazyLock;

/// Symfony `Validator/Constraints/EmailValidator.php`, `PATTERN_HTML5`:
/// ASCII only, a domain with at least one dot.
static HTML5: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$",
    )
    .expect("the HTML5 email pattern")
});

/// `primaryEmail`'s rule (`html5` mode).
pub(super) fn valid_html5(addr: &str) -> bool {
    HTML5.is_match(addr)
}

/// `strict` mode: egulias/email-validator's `NoRFCWarningsValidation`, an
/// RFC 5322 address without anything that earns a warning (quoted local
/// part, comments, folding white space, a domain literal, a local part
/// over 64 octets). Approximated as a dot-atom local part (UTF-8 letters
/// allowed, RFC 6532) `@` a dot-atom domain of labels that neither start nor
/// end with a hyphen; a domain without a dot is allowed here, unlike html5.
pub(super) fn valid_strict(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let dot_atom = |s: &str, ok: &dyn Fn(char) -> bool| {
        !s.is_empty()
            && s.split('.')
                .all(|part| !part.is_empty() && part.chars().all(ok))
    };
    let label_ok = |l: &str| !l.starts_with('-') && !l.ends_with('-') && l.chars().count() <= 63;
    local.len() <= 64
        && dot_atom(local, &atext)
        && dot_atom(domain, &|c: char| c.is_alphanumeric() || c == '-')
        && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html5_needs_ascii_and_a_dotted_domain() {
        assert!(valid_html5("ann.lee+work@example.co.uk"));
        assert!(!valid_html5("ann@localhost"));
        assert!(!valid_html5("jörg@example.de"));
        assert!(!valid_html5("ann@-example.com"));
        assert!(!valid_html5("ann lee@example.com"));
    }

    #[test]
    fn strict_refuses_what_earns_an_rfc_warning_or_error() {
        assert!(valid_strict("ann@localhost"));
        assert!(valid_strict("jörg@example.de"));
        assert!(valid_strict("o'neil@example.com"));
        for bad in [
            "not-an-address",
            "ann@",
            "@example.com",
            "ann..lee@example.com",
            ".ann@example.com",
            "ann.@example.com",
            "ann lee@example.com",
            "\"ann lee\"@example.com",
            "ann@example..com",
            "ann@-example.com",
            "ann@example.com.",
            "ann@@example.com",
            "ann(work)@example.com",
            "ann@[127.0.0.1]",
        ] {
            assert!(!valid_strict(bad), "{bad}");
        }
        assert!(!valid_strict(&format!("{}@example.com", "a".repeat(65))));
    }
}
