//! `cosmos.auth.v1beta1.Query` over gRPC.

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_server::Query;
use cosmos_sdk_proto::cosmos::auth::v1beta1::*;

use super::{query_service, GrpcState};

pub struct Auth(pub GrpcState);

query_service! {
    Auth: Query, "cosmos.auth.v1beta1.Query";
    routed {
        accounts(QueryAccountsRequest) -> QueryAccountsResponse = "Accounts";
        account(QueryAccountRequest) -> QueryAccountResponse = "Account";
        params(QueryParamsRequest) -> QueryParamsResponse = "Params";
    }
    unimplemented {
        account_address_by_id(QueryAccountAddressByIdRequest) -> QueryAccountAddressByIdResponse;
        module_accounts(QueryModuleAccountsRequest) -> QueryModuleAccountsResponse;
        module_account_by_name(QueryModuleAccountByNameRequest) -> QueryModuleAccountByNameResponse;
        bech32_prefix(Bech32PrefixRequest) -> Bech32PrefixResponse;
        address_bytes_to_string(AddressBytesToStringRequest) -> AddressBytesToStringResponse;
        address_string_to_bytes(AddressStringToBytesRequest) -> AddressStringToBytesResponse;
        account_info(QueryAccountInfoRequest) -> QueryAccountInfoResponse;
    }
}
