//! A TLS server-certificate "verifier" that trusts nothing and accepts everything: it records
//! the chain the server presented so the live check can compare it with the files on disk.
//!
//! Nothing is sent over the connection it accepts and nothing read from it is believed beyond
//! "this is the certificate that port serves". The handshake signature is still checked with
//! the provider's algorithms, so a completed handshake also shows the server holds the key of
//! the certificate it presented.

use std::sync::{Arc, Mutex};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// Records the served chain (leaf first) and accepts it.
#[derive(Debug)]
pub(super) struct ChainRecorder {
    chain: Mutex<Option<Vec<Vec<u8>>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ChainRecorder {
    pub(super) fn new(algorithms: WebPkiSupportedAlgorithms) -> Arc<ChainRecorder> {
        Arc::new(ChainRecorder {
            chain: Mutex::new(None),
            algorithms,
        })
    }

    /// The chain the server sent, DER, leaf first; `None` before the server's Certificate.
    pub(super) fn chain(&self) -> Option<Vec<Vec<u8>>> {
        // A poisoned lock only means another thread panicked while holding it; the data (a
        // list of byte strings written in one assignment) is still whole.
        match self.chain.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl ServerCertVerifier for ChainRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        match self.chain.lock() {
            Ok(mut guard) => *guard = Some(chain),
            Err(poisoned) => *poisoned.into_inner() = Some(chain),
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
