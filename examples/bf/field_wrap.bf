field wrap: minus on 0 wraps to the field's p minus 1 (prime field dialect) or 255 (u8)
Output is cell mod 256: p minus 1 and p minus 2 give bytes 0 and 255; in u8 255 and 254
-.-.
