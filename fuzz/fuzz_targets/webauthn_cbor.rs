//! Fuzzes the WebAuthn parsers of outside input: the strict CBOR decoder, authenticator data, COSE
//! keys and whole attestation objects. No panic; a full decode is exactly a prefix decode of all bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rathaus_web::webauthn::{authdata, cbor, ceremony, cose, RelyingParty};

fuzz_target!(|data: &[u8]| {
    let whole = cbor::decode(data);
    match cbor::decode_prefix(data) {
        Ok((value, used)) => {
            assert!(used <= data.len(), "used more than the input");
            assert!(used > 0, "a data item takes at least one byte");
            if used == data.len() {
                assert_eq!(whole.as_ref(), Ok(&value));
            } else {
                assert!(matches!(whole, Err(cbor::CborError::TrailingBytes(n)) if n == data.len() - used));
            }
        }
        Err(e) => assert_eq!(whole, Err(e)),
    }
    if let Ok(parsed) = authdata::parse(data) {
        if let Some(attested) = parsed.attested {
            assert!(!attested.credential_id.is_empty());
            assert!(attested.credential_id.len() <= authdata::MAX_CREDENTIAL_ID);
        }
    }
    let _ = cose::parse(data);
    let rp = RelyingParty {
        id: "localhost".into(),
        origin: "http://localhost".into(),
    };
    if let Ok(credential) = ceremony::verify_registration(&rp, data) {
        assert!(cose::parse(&credential.public_key).is_ok());
    }
});
