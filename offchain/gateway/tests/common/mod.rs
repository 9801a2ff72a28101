//! Shared test helpers: real secp256k1 keys (k256) that sign intents and
//! cancels the way Keplr and MetaMask do, and a minimal HTTP/1.1 client over
//! a loopback TCP connection (keep-alive).

#![allow(dead_code)]

use aip_types::intent::{
    adr036_sign_doc, cancel_bytes, cosmos_address, eip712_cancel_digest, eip712_digest,
    IntentDomain, IntentSignature, OrderIntent, Side, SignedIntent, KIND_COSMOS_ADR036,
    KIND_ETH_EIP712,
};
use cosmwasm_std::Binary;
use k256::ecdsa::{signature::hazmat::PrehashSigner, Signature, SigningKey};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const CHAIN: &str = "aip-localnet-1";
pub const PREFIX: &str = "wasm";

/// A deterministic test key.
pub fn key(label: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(label.as_bytes())).expect("scalar")
}

pub fn compressed(k: &SigningKey) -> Vec<u8> {
    k.verifying_key().to_encoded_point(true).as_bytes().to_vec()
}

pub fn address_of(k: &SigningKey) -> String {
    cosmos_address(PREFIX, &compressed(k)).expect("address")
}

/// A bech32 contract address (32 bytes) derived from a label.
pub fn contract_address(label: &str) -> String {
    let hrp = bech32::Hrp::parse(PREFIX).expect("hrp");
    bech32::encode::<bech32::Bech32>(hrp, &Sha256::digest(label.as_bytes())).expect("bech32")
}

pub fn domain() -> IntentDomain {
    IntentDomain {
        chain_id: CHAIN.to_string(),
        contract: contract_address("gateway test settlement"),
    }
}

/// A one-slot bid of `owner` for `slot`.
pub fn bid(owner: &str, nonce: u64, slot: u64) -> OrderIntent {
    OrderIntent {
        chain_id: CHAIN.to_string(),
        contract: domain().contract,
        owner: owner.to_string(),
        nonce,
        slot_from: slot,
        slot_until: slot + 900,
        side: Side::Buy,
        meter: 1,
        wh: 1000,
        limit_price: 200_000,
        premium_only: false,
        expires: slot + 900,
    }
}

pub fn sign_cosmos(k: &SigningKey, i: &OrderIntent) -> SignedIntent {
    let doc = adr036_sign_doc(&i.owner, &i.canonical_bytes());
    let sig: Signature = k.sign_prehash(&Sha256::digest(doc)).expect("sign");
    SignedIntent {
        intent: i.clone(),
        signature: IntentSignature {
            kind: KIND_COSMOS_ADR036.to_string(),
            pub_key: Some(Binary::from(compressed(k)).to_base64()),
            signature: Binary::from(sig.to_bytes().to_vec()).to_base64(),
        },
    }
}

fn eth_sig(k: &SigningKey, digest: &[u8; 32]) -> String {
    let (sig, rec) = k.sign_prehash_recoverable(digest).expect("sign");
    let mut bytes = sig.to_bytes().to_vec();
    bytes.push(27 + rec.to_byte());
    format!("0x{}", hex::encode(bytes))
}

pub fn sign_eth(k: &SigningKey, i: &OrderIntent) -> SignedIntent {
    SignedIntent {
        intent: i.clone(),
        signature: IntentSignature {
            kind: KIND_ETH_EIP712.to_string(),
            pub_key: None,
            signature: eth_sig(k, &eip712_digest(i)),
        },
    }
}

pub fn cancel_cosmos(k: &SigningKey, i: &OrderIntent) -> IntentSignature {
    let doc = adr036_sign_doc(&i.owner, &cancel_bytes(&i.hash()));
    let sig: Signature = k.sign_prehash(&Sha256::digest(doc)).expect("sign");
    IntentSignature {
        kind: KIND_COSMOS_ADR036.to_string(),
        pub_key: Some(Binary::from(compressed(k)).to_base64()),
        signature: Binary::from(sig.to_bytes().to_vec()).to_base64(),
    }
}

pub fn cancel_eth(k: &SigningKey, i: &OrderIntent) -> IntentSignature {
    IntentSignature {
        kind: KIND_ETH_EIP712.to_string(),
        pub_key: None,
        signature: eth_sig(k, &eip712_cancel_digest(&domain(), &i.hash())),
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Http {
    conn: BufReader<TcpStream>,
}

impl Http {
    pub async fn connect(addr: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Http {
            conn: BufReader::new(stream),
        })
    }

    /// Sends a request and reads the answer: (status, body).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let stream = self.conn.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut line = String::new();
        if self.conn.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut len = 0usize;
        loop {
            line.clear();
            if self.conn.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed in headers",
                ));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut buf = vec![0u8; len];
        self.conn.read_exact(&mut buf).await?;
        Ok((status, String::from_utf8_lossy(&buf).into_owned()))
    }
}

/// The `n`th command-line argument as a number, or `default` (the examples' arguments).
pub fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The `p` quantile (0 < p <= 1, nearest rank) of sorted latencies, in milliseconds.
pub fn quantile_ms(sorted: &[std::time::Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}
