// What the scripts here (deploy.mjs, demo.mjs) know about an `openledgerd dev` chain.
import { GasPrice } from "@cosmjs/stargate";

/** The public BIP-39 test mnemonic whose accounts `openledgerd dev` funds; never for real funds. */
export const DEV_MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/** The node's minimum gas price. */
export const GAS_PRICE = GasPrice.fromString("0.025uopen");
