//! The simulator's RSA key pair and the one decryption ABDM accepts:
//! `RSA/ECB/OAEPWithSHA-1AndMGF1Padding` (OAEP, SHA-1 digest, SHA-1 MGF1, abdm.md 2.4).
//!
//! OpenSSL's `PKCS1_OAEP` padding on `RSA_private_decrypt` is exactly that scheme, with no
//! label. PKCS#1 v1.5 or OAEP-SHA-256 ciphertexts therefore fail here, which is the point:
//! the simulator exists to catch a client that uses a library default.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::pkey::Private;
use openssl::rsa::{Padding, Rsa};

/// Why a key could not be made or a field could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// OpenSSL could not generate or serialise the key pair.
    #[error("RSA key generation failed: {0}")]
    Keygen(#[from] openssl::error::ErrorStack),
    /// The field is not standard base64.
    #[error("field is not base64")]
    Base64,
    /// The ciphertext is not OAEP-SHA1 under this key.
    #[error("field does not decrypt with OAEP-SHA1")]
    Padding,
    /// The plaintext is not UTF-8.
    #[error("plaintext is not UTF-8")]
    Utf8,
}

/// The simulator's encryption key pair.
pub(crate) struct KeyPair {
    rsa: Rsa<Private>,
    public_der: Vec<u8>,
    private_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("bits", &self.rsa.size().saturating_mul(8))
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A fresh key pair of `bits` bits.
    pub(crate) fn generate(bits: u32) -> Result<Self, CryptoError> {
        let rsa = Rsa::generate(bits)?;
        let public_der = rsa.public_key_to_der()?;
        let private_pem = String::from_utf8_lossy(&rsa.private_key_to_pem()?).into_owned();
        Ok(Self {
            rsa,
            public_der,
            private_pem,
        })
    }

    /// DER SubjectPublicKeyInfo.
    pub(crate) fn public_der(&self) -> &[u8] {
        &self.public_der
    }

    /// The private key, PKCS#1 PEM.
    pub(crate) fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The certificate endpoint's `publicKey`: base64 DER without PEM armour.
    pub(crate) fn public_b64(&self) -> String {
        STANDARD.encode(&self.public_der)
    }

    /// Decrypts a base64 OAEP-SHA1 field to text.
    pub(crate) fn decrypt(&self, field: &str) -> Result<String, CryptoError> {
        let ct = STANDARD
            .decode(field.trim())
            .map_err(|_| CryptoError::Base64)?;
        let size = usize::try_from(self.rsa.size()).map_err(|_| CryptoError::Padding)?;
        if ct.len() != size {
            return Err(CryptoError::Padding);
        }
        let mut out = vec![0u8; size];
        let n = self
            .rsa
            .private_decrypt(&ct, &mut out, Padding::PKCS1_OAEP)
            .map_err(|_| CryptoError::Padding)?;
        out.truncate(n);
        String::from_utf8(out).map_err(|_| CryptoError::Utf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::encrypt::Encrypter;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;

    fn encrypt(der: &[u8], msg: &[u8], pad: Padding, md: Option<MessageDigest>) -> String {
        let key = PKey::public_key_from_der(der).expect("der");
        let mut enc = Encrypter::new(&key).expect("encrypter");
        enc.set_rsa_padding(pad).expect("padding");
        if let Some(md) = md {
            enc.set_rsa_oaep_md(md).expect("md");
            enc.set_rsa_mgf1_md(md).expect("mgf1");
        }
        let mut buf = vec![0; enc.encrypt_len(msg).expect("len")];
        let n = enc.encrypt(msg, &mut buf).expect("encrypts");
        buf.truncate(n);
        STANDARD.encode(buf)
    }

    #[test]
    fn test_only_oaep_sha1_decrypts() {
        let k = KeyPair::generate(1024).expect("keygen");
        let der = k.public_der().to_vec();
        let sha1 = encrypt(
            &der,
            b"234123412346",
            Padding::PKCS1_OAEP,
            Some(MessageDigest::sha1()),
        );
        assert_eq!(k.decrypt(&sha1).expect("decrypts"), "234123412346");
        let sha256 = encrypt(
            &der,
            b"x",
            Padding::PKCS1_OAEP,
            Some(MessageDigest::sha256()),
        );
        assert!(matches!(k.decrypt(&sha256), Err(CryptoError::Padding)));
        let v15 = encrypt(&der, b"x", Padding::PKCS1, None);
        assert!(matches!(k.decrypt(&v15), Err(CryptoError::Padding)));
        assert!(matches!(k.decrypt("%%%"), Err(CryptoError::Base64)));
        assert!(matches!(k.decrypt("AAAA"), Err(CryptoError::Padding)));
        assert!(
            k.private_pem()
                .starts_with("-----BEGIN RSA PRIVATE KEY-----")
        );
        assert!(!k.public_b64().contains('\n'));
    }
}
