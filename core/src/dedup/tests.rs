#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn debug_print() {
    let names = "Aarav Aditya Ajay Akash Amit Anil Ankit Anand Arjun Arun Ashok Deepak Dinesh Ganesh Gaurav Hari Harish Hemant Jitendra Kamal Karan Kiran Krishna Kunal Lalit Mahesh Manoj Mukesh Naresh Naveen Navneet Nitin Pankaj Pawan Pradeep Prakash Pramod Rahul Rajesh Rakesh Ramesh Ravi Rohit Sachin Sandeep Sanjay Sanjeev Santosh Satish Shankar Shyam Sunil Suresh Sumit Vijay Vikas Vinod Vishal Yogesh Aarti Anita Anjali Asha Babita Deepa Deepika Geeta Jyoti Kavita Kiran Komal Lakshmi Lalita Madhu Mamta Manju Meena Meera Neelam Neha Nisha Pooja Poonam Priya Radha Rani Rekha Renu Rita Sangeeta Sarita Savita Seema Shanti Sheela Shobha Sita Sonia Sunita Sushma Usha Vandana Abdul Ahmad Aijaz Altaf Arif Ashraf Bashir Bilal Farooq Fayaz Ghulam Hilal Imran Irfan Javid Khalid Manzoor Mushtaq Nazir Nisar Parvaiz Rafiq Rashid Riyaz Sajad Shabir Shafiq Showkat Tariq Yasir Zahoor Aisha Afroza Asma Bilquis Fahmeeda Farida Fatima Haleema Hafeeza Jabeena Khalida Mehvish Nasreen Nighat Parveen Rafiqa Rehana Rubeena Rukhsana Saima Shabnam Shaheena Shazia Shamima Tahira Yasmeen Zainab Zareena Ruby Rubina Shahid Shahida Zahid Hasan Husain Mohsin Muzaffar Nasir Naseer Nazia Nazima Sana Sara Saba Sadia Sofia Amir Umar Omar Amar Aamir Ali Ila Alia Usman Osman Ishaq Iqbal Ikram Akram Ikhlaq Akhlaq Arshad Irshad Ershad Sajid Majid Wajid Rajid Waseem Naeem Saleem Kaleem Haleem Nadeem";
    let list: Vec<&str> = names.split(' ').collect();
    let mut seen = std::collections::BTreeSet::new();
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            let x = name_variants(&Person {
                given_name: a,
                ..Default::default()
            });
            let y = name_variants(&Person {
                given_name: b,
                ..Default::default()
            });
            if let Some(s) = variant_similarity(&x[0], &y[0]) {
                if a != b && seen.insert((a.to_string(), b.to_string())) {
                    println!(
                        "SIMILAR {a} {b} {:?} {:?} {s:.3}",
                        x[0][0].alts, y[0][0].alts
                    );
                }
            }
        }
    }
}
