multiply: reads two digits a and b and prints a times b in decimal and a newline
,>,                                  c0 = a  c1 = b (ASCII)
>++++++[<--------<-------->>-]       both minus 48
<<[->[>+>+<<-]>[<+>-]<<]             c3 = a times b (c1 moved through c2 and back)
>>>>++++++++++<                      c4 = 10 (a countdown); at c3 = n
[->->+<[>-<[>>>+<<<-]]>>>[<<<+>>>-]<<<>[-<++++++++++>>+<]<<]
                                     n times: c4 minus 1 and when it hits 0 c6 plus 1 and c4 = 10
>>++++++++++<[->-<]>                 c5 = 10 minus c4 = n%10
>[>++++++[<++++++++>-]<.[-]]         tens digit (c6) unless 0
<>++++++[<++++++++>-]<.              ones digit (c5)
[-]++++++++++.                       newline
