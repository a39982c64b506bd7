u8 wrap: adds 256 to a cell and tests it for zero: prints 1 if it wrapped to 0 (u8) and 0 if
it did not (prime field: the cell is 256)
++++++++[>++++++++++++++++++++++++++++++++<-]>    c1 = 256
<+>                                                c0 = 1
[<->[-]]                                           c1 nonzero: c0 = 0 and clear c1
>++++++[<++++++++>-]<                              c1 = 48
<[>+<-]>.                                          print 48 plus c0
[-]++++++++++.
